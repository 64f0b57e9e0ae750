# frozen_string_literal: true

# The durable outbox: the Client options that give a client one (outbox_path:,
# outbox_max_rows:, outbox_lease:, applied by Client#initialize) and the client's calls on it
# (#flush, #outbox_pending, #dead_letters, #purge_dead_letters, #outbox_counters). Required by
# weave_feedback.rb once its helpers exist; every call goes through Handle#call.
module WeaveFeedback
  # The C functions. The client's outbox calls are `blocking: true`: a flush waits for the
  # server, and every one of them may wait for another process's lock on the file.
  module Native
    attach_function :weave_client_options_set_outbox_path, %i[pointer string pointer], :int
    attach_function :weave_client_options_set_outbox_max_rows, %i[pointer uint64 pointer], :int
    attach_function :weave_client_options_set_outbox_lease_ms, %i[pointer uint64 pointer], :int
    attach_function :weave_client_flush, %i[pointer uint64 pointer pointer], :int, blocking: true
    attach_function :weave_client_outbox_pending, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_client_outbox_dead_letters_json, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_client_outbox_purge_dead_letters, %i[pointer string pointer pointer], :int,
                    blocking: true
    attach_function :weave_client_outbox_counters, %i[pointer pointer pointer], :int, blocking: true
  end

  # struct weave_outbox_counters.
  class NativeOutboxCounters < FFI::Struct
    layout :queued, :uint64, :delivered, :uint64, :retried, :uint64, :dead, :uint64
  end

  # What a client's outbox did since the client was built: rows it queued, saw stored on the
  # server (sent, or found by a look-up), claimed again after an earlier claim that did not
  # settle them, and moved to the dead letters.
  OutboxCounters = Struct.new(:queued, :delivered, :retried, :dead, keyword_init: true)

  class Client
    # Sends what the outbox holds, in batches, until nothing is left or `deadline` seconds
    # have passed (0: only counts). Returns the number of rows still queued: 0 once everything
    # is delivered (more only if another process sharing the file queued rows meanwhile).
    # Raises TimeoutError when rows are left at the deadline (its message gives the last
    # failure), UnauthorizedError at once on HTTP 401/403 (the rows stay queued: fix the key
    # and flush again); the error's `pending` is the number of rows still queued (nil if they
    # could not be counted). Without an outbox: 0. Holds the Client's Mutex while it runs.
    def flush(deadline)
      pending = FFI::MemoryPointer.new(:uint64)
      pending.write(:uint64, UNCOUNTED)
      begin
        call("weave_client_flush", pending) { |h, o, e| Native.weave_client_flush(h, Call.millis(deadline), o, e) }
      rescue Error => e
        n = pending.read(:uint64)
        e.pending = n unless n == UNCOUNTED
        raise
      end
      pending.read(:uint64)
    end

    # Rows in the outbox not yet delivered (by any process sharing it), without sending
    # anything; 0 without an outbox.
    def outbox_pending
      out = call("weave_client_outbox_pending", FFI::MemoryPointer.new(:uint64)) do |h, o, e|
        Native.weave_client_outbox_pending(h, o, e)
      end
      out.read(:uint64)
    end

    # The rows the server refused (any 4xx but 401, 403, 408 and 429), oldest first: Hashes
    # with "id" (the id the add returned), "project_id", "http_status", "reason" (the
    # server's), "failed_at_ms" (milliseconds since the Unix epoch) and "request" (the refused
    # create request, a Hash). They are never sent again. [] without an outbox.
    def dead_letters
      out = call("weave_client_outbox_dead_letters_json") do |h, o, e|
        Native.weave_client_outbox_dead_letters_json(h, o, e)
      end
      JSON.parse(Call.take_string(out) || "[]")
    end

    # Deletes the dead letter with this feedback id, or every dead letter when it is nil;
    # returns how many were deleted. "" raises InvalidArgumentError.
    def purge_dead_letters(feedback_id = nil)
      out = call("weave_client_outbox_purge_dead_letters", FFI::MemoryPointer.new(:uint64)) do |h, o, e|
        Native.weave_client_outbox_purge_dead_letters(h, Call.cstr(feedback_id), o, e)
      end
      out.read(:uint64)
    end

    # This client's OutboxCounters (all 0 without an outbox).
    def outbox_counters
      c = NativeOutboxCounters.new
      call("weave_client_outbox_counters", c.pointer) { |h, o, e| Native.weave_client_outbox_counters(h, o, e) }
      OutboxCounters.new(queued: c[:queued], delivered: c[:delivered], retried: c[:retried], dead: c[:dead])
    end

    # Not a count the outbox can reach: left in place when weave_client_flush could not count.
    UNCOUNTED = (2**64) - 1
    private_constant :UNCOUNTED
  end
end
