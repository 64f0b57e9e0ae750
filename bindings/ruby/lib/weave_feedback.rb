# frozen_string_literal: true

# WeaveFeedback: the Ruby binding (ruby-ffi) of weave-feedback's C library (libweave_feedback,
# header weave_feedback.h): reactions, notes and scores on W&B Weave calls and objects.
#
#   client = WeaveFeedback::Client.new            # configuration from the environment
#   q = client.ref_feedback_query("weave:///acme/chatbot/call/0192f3a4-...")
#   q.add_reaction("👍")
#   q.execute.each { |row| puts row.feedback_type }
#
# Memory: C handles live in FFI::AutoPointer subclasses whose release is a class method, so
# the garbage collector frees them without the finalizer holding on to the Ruby object.
# `close` frees a handle at once (idempotent). Rows, errors, ids and tables are copied into
# Ruby strings immediately.
#
# Threads: every network call is attached with `blocking: true`, so the GVL is released while
# it waits for the server and other Ruby threads keep running. A Client may be shared by any
# number of threads; queries and results may be shared too (a Mutex serialises calls on a
# query, which the C library requires, and `close` waits for the call in flight).
#
# Walking many rows in flat memory: FeedbackQuery#each_page (lib/weave_feedback/pages.rb).
# Reading by id, query settings, #length and #[]: lib/weave_feedback/reading.rb. Refs from
# parts and scorer feedback: lib/weave_feedback/refs.rb. The durable outbox (Client#flush,
# #dead_letters, ...): lib/weave_feedback/outbox.rb.
#
# The library (installed with `make install`) is loaded from $WEAVE_FEEDBACK_LIB if set, else
# from the libdir that `pkg-config weave-feedback` names, else as libweave_feedback.so.0 from
# the loader's path (ldconfig, LD_LIBRARY_PATH).

require "ffi"
require "json"
require "open3"
require "time"

module WeaveFeedback
  VERSION = "0.2.0"
  # The C ABI this binding is written for: the SONAME's major, and the oldest minor that has
  # every function attached below.
  ABI_MAJOR = 0
  ABI_MINOR = 2
  SONAME = "libweave_feedback.so.#{ABI_MAJOR}"

  # The candidates, in order: $WEAVE_FEEDBACK_LIB, pkg-config's libdir, the loader's path.
  def self.library_candidates
    libdir = begin
      out, status = Open3.capture2("pkg-config", "--variable=libdir", "weave-feedback", err: File::NULL)
      status.success? && !out.strip.empty? ? out.strip : nil
    rescue SystemCallError
      nil
    end
    [ENV["WEAVE_FEEDBACK_LIB"], libdir && File.join(libdir, SONAME), SONAME].compact.reject(&:empty?)
  end

  # Status values of the C API (weave_status); fixed by the C contract.
  STATUSES = %i[ok invalid_argument invalid_ref invalid_feedback unauthorized not_found rejected
                rate_limited server transport timeout decode internal outbox_full].freeze

  # A failed call. `status` is the C status (Integer), `status_name` its Symbol,
  # `http_status` the HTTP status behind it (0 without an HTTP answer), `attempts` the number of
  # HTTP attempts for errors out of the retry loop, `feedback_ids` the ids a failed add,
  # replace or batch used (item order; after server, transport, timeout, rate_limited or
  # decode errors those rows may have been stored), `pending` the rows still queued after a
  # failed Client#flush (nil otherwise, or when they could not be counted).
  class Error < StandardError
    attr_reader :status, :http_status, :attempts, :operation, :feedback_ids
    attr_accessor :pending

    def initialize(message, status:, http_status: 0, attempts: 0, operation: nil, feedback_ids: [])
      super(message)
      @status = status
      @http_status = http_status
      @attempts = attempts
      @operation = operation
      @feedback_ids = feedback_ids.freeze
    end

    def status_name
      STATUSES.fetch(status, :unknown)
    end
  end

  class InvalidArgumentError < Error; end
  class InvalidRefError < Error; end
  class InvalidFeedbackError < Error; end
  class UnauthorizedError < Error; end
  class NotFoundError < Error; end
  class RejectedError < Error; end
  class RateLimitedError < Error; end
  class ServerError < Error; end
  class TransportError < Error; end
  class TimeoutError < Error; end
  class DecodeError < Error; end
  class InternalError < Error; end
  class OutboxFullError < Error; end

  ERROR_CLASSES = [nil, InvalidArgumentError, InvalidRefError, InvalidFeedbackError,
                   UnauthorizedError, NotFoundError, RejectedError, RateLimitedError, ServerError,
                   TransportError, TimeoutError, DecodeError, InternalError,
                   OutboxFullError].freeze

  # Raised by methods of a closed handle.
  class ClosedError < StandardError; end

  # The C functions. Network calls are `blocking: true`: ruby-ffi releases the GVL around them.
  module Native
    extend FFI::Library

    ffi_lib WeaveFeedback.library_candidates

    # Statuses are a C enum: int-sized; kept as Integer here.
    attach_function :weave_status_str, [:int], :string
    attach_function :weave_feedback_version, [], :string
    attach_function :weave_error_status, [:pointer], :int
    attach_function :weave_error_message, [:pointer], :pointer
    attach_function :weave_error_http_status, [:pointer], :uint16
    attach_function :weave_error_attempts, [:pointer], :uint32
    attach_function :weave_error_feedback_id, [:pointer], :pointer
    attach_function :weave_error_feedback_id_count, [:pointer], :size_t
    attach_function :weave_error_feedback_id_at, %i[pointer size_t], :pointer
    attach_function :weave_error_free, [:pointer], :void
    attach_function :weave_string_free, [:pointer], :void

    attach_function :weave_client_options_new, [], :pointer
    attach_function :weave_client_options_set_base_url, %i[pointer string pointer], :int
    attach_function :weave_client_options_set_api_key, %i[pointer string pointer], :int
    attach_function :weave_client_options_set_timeout_ms, %i[pointer uint64 pointer], :int
    attach_function :weave_client_options_set_max_retries, %i[pointer uint32 pointer], :int
    attach_function :weave_client_options_set_deadline_ms, %i[pointer uint64 pointer], :int
    attach_function :weave_client_options_set_retry_base_delay_ms, %i[pointer uint64 pointer], :int
    attach_function :weave_client_options_set_max_response_bytes, %i[pointer uint64 pointer], :int
    attach_function :weave_client_options_set_allow_insecure_http, %i[pointer bool pointer], :int
    attach_function :weave_client_options_free, [:pointer], :void
    attach_function :weave_client_new, %i[pointer pointer pointer], :int
    attach_function :weave_client_free, [:pointer], :void

    attach_function :weave_ref_feedback_query_new, %i[pointer string pointer pointer], :int
    attach_function :weave_ref_feedback_query_add,
                    %i[pointer string string string string pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_add_note,
                    %i[pointer string string pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_add_reaction,
                    %i[pointer string string pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_add_batch, %i[pointer string pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_replace,
                    %i[pointer string string string string string pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_purge, %i[pointer string pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_execute, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_refresh, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_refs, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_free, [:pointer], :void

    attach_function :weave_feedback_query_new,
                    %i[pointer string string string int64 int64 bool pointer pointer], :int
    attach_function :weave_feedback_query_execute, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_feedback_query_refresh, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_feedback_query_refs, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_feedback_query_free, [:pointer], :void

    attach_function :weave_feedbacks_len, [:pointer], :size_t
    attach_function :weave_feedbacks_get, %i[pointer size_t], :pointer
    attach_function :weave_feedbacks_refs, %i[pointer pointer pointer], :int
    attach_function :weave_feedbacks_to_json, %i[pointer pointer pointer], :int
    attach_function :weave_feedbacks_format_table, %i[pointer pointer pointer], :int
    attach_function :weave_feedbacks_free, [:pointer], :void

    FEEDBACK_FIELDS = %i[id project_id weave_ref feedback_type payload_json creator wb_user_id
                         created_at annotation_ref runnable_ref call_ref trigger_ref queue_id].freeze
    FEEDBACK_FIELDS.each { |f| attach_function :"weave_feedback_#{f}", [:pointer], :pointer }
    attach_function :weave_feedback_to_json, %i[pointer pointer pointer], :int

    attach_function :weave_refs_len, [:pointer], :size_t
    attach_function :weave_refs_get, %i[pointer size_t], :pointer
    attach_function :weave_refs_free, [:pointer], :void
  end

  # Owned handles. `release` is a class method: the finalizer captures only the raw pointer.
  class ClientPointer < FFI::AutoPointer
    def self.release(ptr) = Native.weave_client_free(ptr)
  end

  class RefQueryPointer < FFI::AutoPointer
    def self.release(ptr) = Native.weave_ref_feedback_query_free(ptr)
  end

  class QueryPointer < FFI::AutoPointer
    def self.release(ptr) = Native.weave_feedback_query_free(ptr)
  end

  class FeedbacksPointer < FFI::AutoPointer
    def self.release(ptr) = Native.weave_feedbacks_free(ptr)
  end

  # Helpers shared by the classes below.
  module Call
    module_function

    # Runs the block with an error out-parameter; raises the matching Error on failure (after
    # copying and freeing the C error).
    def checked(operation)
      err = FFI::MemoryPointer.new(:pointer)
      status = yield err
      return if status.zero?

      raise error_from(operation, status, err.read_pointer)
    end

    def error_from(operation, status, ptr)
      klass = ERROR_CLASSES[status] || Error
      return klass.new(Native.weave_status_str(status), status: status, operation: operation) if ptr.null?

      begin
        status = Native.weave_error_status(ptr)
        klass = ERROR_CLASSES[status] || Error
        ids = Array.new(Native.weave_error_feedback_id_count(ptr)) do |i|
          utf8(Native.weave_error_feedback_id_at(ptr, i))
        end
        first = Native.weave_error_feedback_id(ptr)
        ids = [utf8(first)] if ids.empty? && !first.null?
        klass.new(utf8(Native.weave_error_message(ptr)), status: status, operation: operation,
                                                         http_status: Native.weave_error_http_status(ptr),
                                                         attempts: Native.weave_error_attempts(ptr),
                                                         feedback_ids: ids)
      ensure
        Native.weave_error_free(ptr)
      end
    end

    # Copies a borrowed C string (nil for NULL).
    def utf8(ptr)
      ptr.null? ? nil : ptr.read_string.force_encoding(Encoding::UTF_8)
    end

    # Copies an owned C string out of a `char **` out-parameter and frees it.
    def take_string(out)
      ptr = out.read_pointer
      return nil if ptr.null?

      begin
        utf8(ptr)
      ensure
        Native.weave_string_free(ptr)
      end
    end

    # Copies a weave_refs into an Array and frees it.
    def take_refs(ptr)
      Array.new(Native.weave_refs_len(ptr)) { |i| utf8(Native.weave_refs_get(ptr, i)) }
    ensure
      Native.weave_refs_free(ptr)
    end

    # A Ruby string as UTF-8 for a `const char *` (ruby-ffi refuses strings with NUL bytes).
    def cstr(value)
      value&.to_s&.encode(Encoding::UTF_8)
    end

    def millis(seconds)
      (seconds * 1000).ceil
    end

    # A payload as JSON text: a String is sent as is, nil means {} (NULL).
    def payload(value)
      value.nil? || value.is_a?(String) ? value : JSON.generate(value)
    end
  end

  # Base of the wrappers: a handle, a Mutex, idempotent close.
  class Handle
    def initialize(handle)
      @handle = handle
      @lock = Mutex.new
    end

    # Frees the C handle now (after a call in flight). Idempotent.
    def close
      @lock.synchronize do
        @handle&.free
        @handle = nil
      end
      nil
    end

    def closed?
      @handle.nil?
    end

    private

    # Yields the live handle while holding the lock.
    def with_handle
      @lock.synchronize do
        raise ClosedError, "#{self.class.name} is closed" if @handle.nil?

        yield @handle
      end
    end

    # The one shape of every fallible call: under the lock, on the live handle, with an
    # out-parameter `out` (a pointer slot, or nil) and the error out-parameter; raises Error or
    # ClosedError. Yields (handle, out, err) and returns `out`.
    def call(operation, out = FFI::MemoryPointer.new(:pointer))
      with_handle { |h| Call.checked(operation) { |e| yield h, out, e } }
      out
    end
  end

  # A connection to a Weave trace server. Thread-safe.
  class Client < Handle
    # Without arguments the C library reads its configuration from the environment
    # (WF_TRACE_SERVER_URL, WANDB_API_KEY, ...): it is given NULL options. Durations are in
    # seconds.
    #
    # `outbox_path:` (a SQLite file, created if missing) makes every add commit its rows to the
    # file before sending them: adds return the ids whether or not the server took the rows,
    # and what was not delivered stays queued for #flush (lib/weave_feedback/outbox.rb).
    # `outbox_max_rows:` (default 100000; an add that would go over raises OutboxFullError and
    # queues nothing) and `outbox_lease:` (default 60: how long a claim on rows lasts) tune it.
    def initialize(base_url: nil, api_key: nil, timeout: nil, max_retries: nil, deadline: nil,
                   retry_base_delay: nil, max_response_bytes: nil, allow_insecure_http: nil,
                   outbox_path: nil, outbox_max_rows: nil, outbox_lease: nil)
      settings = { base_url:, api_key:, timeout:, max_retries:, deadline:, retry_base_delay:,
                   max_response_bytes:, allow_insecure_http:, outbox_path:, outbox_max_rows:,
                   outbox_lease: }.compact
      opts = settings.empty? ? FFI::Pointer::NULL : Native.weave_client_options_new
      begin
        apply(opts, settings)
        out = FFI::MemoryPointer.new(:pointer)
        Call.checked("weave_client_new") { |e| Native.weave_client_new(opts, out, e) }
        super(ClientPointer.new(out.read_pointer))
      ensure
        Native.weave_client_options_free(opts) # the client copied them
      end
    end

    # Opens a client, yields it and closes it.
    def self.open(**kwargs)
      client = new(**kwargs)
      return client unless block_given?

      begin
        yield client
      ensure
        client.close
      end
    end

    # The feedback on one ref. Raises InvalidRefError for a string that is not a ref.
    def ref_feedback_query(ref)
      out = call("weave_ref_feedback_query_new") do |h, o, e|
        Native.weave_ref_feedback_query_new(h, Call.cstr(ref), o, e)
      end
      RefFeedbackQuery.new(RefQueryPointer.new(out.read_pointer), ref)
    end

    # A project's feedback. `query` is a Query object (Hash or JSON text), `{"$expr" => ...}`.
    def feedback_query(entity, project, query: nil, offset: nil, limit: nil, show_refs: false)
      query = JSON.generate(query) if query.is_a?(Hash)
      out = call("weave_feedback_query_new") do |h, o, e|
        Native.weave_feedback_query_new(h, Call.cstr(entity), Call.cstr(project), Call.cstr(query),
                                        offset || -1, limit || -1, show_refs, o, e)
      end
      FeedbackQuery.new(QueryPointer.new(out.read_pointer))
    end

    private

    def apply(opts, settings)
      settings.each do |key, value|
        case key
        when :base_url, :api_key, :outbox_path
          fn = :"weave_client_options_set_#{key}"
          arg = Call.cstr(value)
        when :max_retries, :max_response_bytes, :outbox_max_rows
          fn = :"weave_client_options_set_#{key}"
          arg = Integer(value)
          raise ArgumentError, "#{key} must not be negative" if arg.negative?
        when :allow_insecure_http
          fn = :weave_client_options_set_allow_insecure_http
          arg = value ? true : false
        else
          fn = :"weave_client_options_set_#{key}_ms"
          arg = Call.millis(value)
        end
        Call.checked(fn.to_s) { |e| Native.public_send(fn, opts, arg, e) }
      end
    end
  end

  # Methods shared by the two query classes.
  module Fetching
    def execute = fetch(:execute)

    def refresh = fetch(:refresh)

    # The distinct refs of the rows.
    def refs
      fn = :"#{self.class::PREFIX}_refs"
      Call.take_refs(call(fn.to_s) { |h, o, e| Native.public_send(fn, h, o, e) }.read_pointer)
    end

    private

    def fetch(kind)
      fn = :"#{self.class::PREFIX}_#{kind}"
      out = call(fn.to_s) { |h, o, e| Native.public_send(fn, h, o, e) }
      Feedbacks.new(FeedbacksPointer.new(out.read_pointer))
    end
  end

  # The feedback on one ref: add, purge, query. Calls are serialised (the C handle takes one
  # at a time); each network call releases the GVL.
  class RefFeedbackQuery < Handle
    include Fetching
    PREFIX = "weave_ref_feedback_query"

    attr_reader :ref

    def initialize(handle, ref)
      super(handle)
      @ref = ref
    end

    # Adds feedback of a custom type ("helpfulness") or wandb.annotation.<name>. `payload` is a
    # Hash (or JSON text); nil means {}. Returns the new row's id.
    def add(feedback_type, payload = nil, creator: nil, annotation_ref: nil)
      payload = Call.payload(payload)
      added("weave_ref_feedback_query_add") do |h, out, e|
        Native.weave_ref_feedback_query_add(h, Call.cstr(feedback_type), Call.cstr(payload),
                                            Call.cstr(creator), Call.cstr(annotation_ref), out, e)
      end
    end

    # Adds many rows in one request. `items` are Hashes with :feedback_type and optionally
    # :payload (a Hash), :creator, :annotation_ref, :id. Every item is checked before anything
    # is sent; a batch the server refuses stores nothing (the Error's feedback_ids name every
    # item). Returns the new ids in item order.
    def add_batch(items)
      json = JSON.generate(items.to_a)
      out = call("weave_ref_feedback_query_add_batch") do |h, o, e|
        Native.weave_ref_feedback_query_add_batch(h, Call.cstr(json), o, e)
      end
      Call.take_refs(out.read_pointer)
    end

    # Replaces the content of the row `feedback_id`, keeping its id (returned). When the server
    # refuses the new content the old one is kept or written back.
    def replace(feedback_id, feedback_type, payload = nil, creator: nil, annotation_ref: nil)
      payload = Call.payload(payload)
      added("weave_ref_feedback_query_replace") do |h, out, e|
        Native.weave_ref_feedback_query_replace(h, Call.cstr(feedback_id), Call.cstr(feedback_type),
                                                Call.cstr(payload), Call.cstr(creator),
                                                Call.cstr(annotation_ref), out, e)
      end
    end

    # Adds a note (wandb.note.1), 1 to 1024 characters. Returns the id.
    def add_note(note, creator: nil)
      added("weave_ref_feedback_query_add_note") do |h, out, e|
        Native.weave_ref_feedback_query_add_note(h, Call.cstr(note), Call.cstr(creator), out, e)
      end
    end

    # Adds an emoji reaction (wandb.reaction.1). Returns the id.
    def add_reaction(emoji, creator: nil)
      added("weave_ref_feedback_query_add_reaction") do |h, out, e|
        Native.weave_ref_feedback_query_add_reaction(h, Call.cstr(emoji), Call.cstr(creator), out, e)
      end
    end

    # Deletes the row with this id anywhere in the ref's project (as the Python SDK does).
    def purge(feedback_id)
      call("weave_ref_feedback_query_purge", nil) do |h, _, e|
        Native.weave_ref_feedback_query_purge(h, Call.cstr(feedback_id), e)
      end
      nil
    end

    private

    def added(operation, &)
      Call.take_string(call(operation, &))
    end
  end

  # A project's feedback, fetched lazily.
  class FeedbackQuery < Handle
    include Fetching
    PREFIX = "weave_feedback_query"
  end

  # One row, copied into Ruby strings (absent fields are nil).
  # `json` is the whole row as JSON text, with the wire key names.
  Feedback = Struct.new(*Native::FEEDBACK_FIELDS, :json, keyword_init: true) do
    def payload = JSON.parse(payload_json)

    def created_time = Time.iso8601(created_at)
  end

  # A result: immutable rows (copied at once), plus the C handle for the table and JSON.
  class Feedbacks < Handle
    include Enumerable

    def initialize(handle)
      super(handle)
      @rows = Array.new(Native.weave_feedbacks_len(handle)) do |i|
        row = Native.weave_feedbacks_get(handle, i)
        json = FFI::MemoryPointer.new(:pointer)
        Call.checked("weave_feedback_to_json") { |e| Native.weave_feedback_to_json(row, json, e) }
        Feedback.new(json: Call.take_string(json), **Native::FEEDBACK_FIELDS.to_h do |f|
          [f, Call.utf8(Native.public_send(:"weave_feedback_#{f}", row))]
        end)
      end.freeze
    end

    def each(&) = @rows.each(&)

    def size = @rows.size
    alias length size

    def [](index) = @rows[index]

    def to_a = @rows.dup

    # The Python SDK's plain-text table.
    def to_table = text("weave_feedbacks_format_table")

    # The rows as JSON text, with the wire key names.
    def to_json(*) = text("weave_feedbacks_to_json")

    # The distinct refs of the rows.
    def refs
      Call.take_refs(call("weave_feedbacks_refs") { |h, o, e| Native.weave_feedbacks_refs(h, o, e) }.read_pointer)
    end

    private

    def text(operation)
      Call.take_string(call(operation) { |h, o, e| Native.public_send(operation, h, o, e) })
    end
  end

  # The C library's version, "MAJOR.MINOR.PATCH".
  def self.version = Native.weave_feedback_version

  major, minor = version.split(".").map(&:to_i)
  if major != ABI_MAJOR || minor < ABI_MINOR
    raise LoadError, "weave_feedback needs libweave_feedback #{ABI_MAJOR}.#{ABI_MINOR} or a later " \
                     "#{ABI_MAJOR}.x, found #{version}"
  end
end

require_relative "weave_feedback/pages"
require_relative "weave_feedback/reading"
require_relative "weave_feedback/refs"
require_relative "weave_feedback/outbox"
