# frozen_string_literal: true

# WeaveFeedback: a Ruby wrapper (ruby-ffi) over the C API of weave-feedback
# (include/weave_feedback.h): reactions, notes and scores on W&B Weave calls and objects.
#
#   client = WeaveFeedback::Client.new            # configuration from the environment
#   q = client.ref_feedback("weave:///acme/chatbot/call/0192f3a4-...")
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
# The library is loaded from $WEAVE_FEEDBACK_LIB, else `libweave_feedback.so` on the loader's
# path (LD_LIBRARY_PATH), else ../../../target/debug/ relative to this file.

require "ffi"
require "json"
require "time"

module WeaveFeedback
  # Status values of the C API (weave_status); fixed by the C contract.
  STATUSES = %i[ok invalid_argument invalid_ref invalid_feedback unauthorized not_found rejected
                rate_limited server transport timeout decode internal].freeze

  # A failed call. `status` is the C status (Integer), `status_name` its Symbol,
  # `http_status` the HTTP status behind it (0 without an HTTP answer), `attempts` the number of
  # HTTP attempts for errors out of the retry loop.
  class Error < StandardError
    attr_reader :status, :http_status, :attempts, :operation

    def initialize(message, status:, http_status: 0, attempts: 0, operation: nil)
      super(message)
      @status = status
      @http_status = http_status
      @attempts = attempts
      @operation = operation
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

  ERROR_CLASSES = [nil, InvalidArgumentError, InvalidRefError, InvalidFeedbackError,
                   UnauthorizedError, NotFoundError, RejectedError, RateLimitedError, ServerError,
                   TransportError, TimeoutError, DecodeError, InternalError].freeze

  # Raised by methods of a closed handle.
  class ClosedError < StandardError; end

  # The C functions. Network calls are `blocking: true`: ruby-ffi releases the GVL around them.
  module Native
    extend FFI::Library

    ffi_lib [ENV["WEAVE_FEEDBACK_LIB"], "weave_feedback",
             File.expand_path("../../../target/debug/libweave_feedback.so", __dir__)].compact

    # Statuses are a C enum: int-sized; kept as Integer here.
    attach_function :weave_status_str, [:int], :string
    attach_function :weave_feedback_version, [], :string
    attach_function :weave_error_status, [:pointer], :int
    attach_function :weave_error_message, [:pointer], :pointer
    attach_function :weave_error_http_status, [:pointer], :uint16
    attach_function :weave_error_attempts, [:pointer], :uint32
    attach_function :weave_error_free, [:pointer], :void
    attach_function :weave_string_free, [:pointer], :void

    attach_function :weave_client_options_new, [], :pointer
    attach_function :weave_client_options_set_base_url, %i[pointer string pointer], :int
    attach_function :weave_client_options_set_api_key, %i[pointer string pointer], :int
    attach_function :weave_client_options_set_timeout_ms, %i[pointer uint64 pointer], :int
    attach_function :weave_client_options_set_max_retries, %i[pointer uint32 pointer], :int
    attach_function :weave_client_options_set_deadline_ms, %i[pointer uint64 pointer], :int
    attach_function :weave_client_options_set_retry_base_delay_ms, %i[pointer uint64 pointer], :int
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
    attach_function :weave_ref_feedback_query_purge, %i[pointer string pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_execute, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_refresh, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_refs, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_free, [:pointer], :void

    attach_function :weave_feedback_query_new,
                    %i[pointer string string string int64 int64 bool pointer pointer], :int
    attach_function :weave_feedback_query_execute, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_feedback_query_refresh, %i[pointer pointer pointer], :int, blocking: true
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
        message = utf8(Native.weave_error_message(ptr))
        klass.new(message, status: status, operation: operation,
                           http_status: Native.weave_error_http_status(ptr),
                           attempts: Native.weave_error_attempts(ptr))
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
  end

  # A connection to a Weave trace server. Thread-safe.
  class Client < Handle
    # Without arguments the C library reads its configuration from the environment
    # (WF_TRACE_SERVER_URL, WANDB_API_KEY, ...): it is given NULL options. Durations are in
    # seconds.
    def initialize(base_url: nil, api_key: nil, timeout: nil, max_retries: nil, deadline: nil,
                   retry_base_delay: nil)
      settings = { base_url:, api_key:, timeout:, max_retries:, deadline:, retry_base_delay: }.compact
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
    def ref_feedback(ref)
      out = FFI::MemoryPointer.new(:pointer)
      with_handle do |h|
        Call.checked("weave_ref_feedback_query_new") do |e|
          Native.weave_ref_feedback_query_new(h, Call.cstr(ref), out, e)
        end
      end
      RefFeedbackQuery.new(RefQueryPointer.new(out.read_pointer), ref)
    end

    # A project's feedback. `query` is a Query object (Hash or JSON text), `{"$expr" => ...}`.
    def project_feedback(entity, project, query: nil, offset: nil, limit: nil, show_refs: false)
      query = JSON.generate(query) if query.is_a?(Hash)
      out = FFI::MemoryPointer.new(:pointer)
      with_handle do |h|
        Call.checked("weave_feedback_query_new") do |e|
          Native.weave_feedback_query_new(h, Call.cstr(entity), Call.cstr(project), Call.cstr(query),
                                          offset || -1, limit || -1, show_refs, out, e)
        end
      end
      FeedbackQuery.new(QueryPointer.new(out.read_pointer))
    end

    private

    def apply(opts, settings)
      settings.each do |key, value|
        case key
        when :base_url, :api_key
          fn = :"weave_client_options_set_#{key}"
          arg = Call.cstr(value)
        when :max_retries
          fn = :weave_client_options_set_max_retries
          arg = Integer(value)
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

    private

    def fetch(kind)
      out = FFI::MemoryPointer.new(:pointer)
      fn = :"#{self.class::PREFIX}_#{kind}"
      with_handle do |h|
        Call.checked(fn.to_s) { |e| Native.public_send(fn, h, out, e) }
      end
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
      payload = JSON.generate(payload) unless payload.nil? || payload.is_a?(String)
      added("weave_ref_feedback_query_add") do |h, out, e|
        Native.weave_ref_feedback_query_add(h, Call.cstr(feedback_type), Call.cstr(payload),
                                            Call.cstr(creator), Call.cstr(annotation_ref), out, e)
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
      with_handle do |h|
        Call.checked("weave_ref_feedback_query_purge") do |e|
          Native.weave_ref_feedback_query_purge(h, Call.cstr(feedback_id), e)
        end
      end
      nil
    end

    # The distinct refs of the rows.
    def refs
      out = FFI::MemoryPointer.new(:pointer)
      with_handle do |h|
        Call.checked("weave_ref_feedback_query_refs") { |e| Native.weave_ref_feedback_query_refs(h, out, e) }
      end
      Call.take_refs(out.read_pointer)
    end

    private

    def added(operation)
      out = FFI::MemoryPointer.new(:pointer)
      with_handle { |h| Call.checked(operation) { |e| yield h, out, e } }
      Call.take_string(out)
    end
  end

  # A project's feedback, fetched lazily.
  class FeedbackQuery < Handle
    include Fetching
    PREFIX = "weave_feedback_query"
  end

  # One row, copied into Ruby strings (absent fields are nil).
  Feedback = Struct.new(*Native::FEEDBACK_FIELDS, keyword_init: true) do
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
        Feedback.new(**Native::FEEDBACK_FIELDS.to_h do |f|
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
      out = FFI::MemoryPointer.new(:pointer)
      with_handle do |h|
        Call.checked("weave_feedbacks_refs") { |e| Native.weave_feedbacks_refs(h, out, e) }
      end
      Call.take_refs(out.read_pointer)
    end

    private

    def text(operation)
      out = FFI::MemoryPointer.new(:pointer)
      with_handle { |h| Call.checked(operation) { |e| Native.public_send(operation, h, out, e) } }
      Call.take_string(out)
    end
  end

  # The C library's version, "MAJOR.MINOR.PATCH".
  def self.version = Native.weave_feedback_version
end
