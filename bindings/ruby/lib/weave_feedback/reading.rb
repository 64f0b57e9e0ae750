# frozen_string_literal: true

# Reading beyond #execute: Client#get_feedback, settings changed after a query is made (offset,
# limit, Ref column on both query kinds; reaction, sort order and projected fields on a
# project's query), and a query read as a collection (#length, #[] with negative indices).
# Required by weave_feedback.rb once its helpers exist; every call goes through Handle#call.
module WeaveFeedback
  # The C functions (those that may fetch rows are `blocking: true`: the GVL is released).
  module Native
    attach_function :weave_client_get_feedback, %i[pointer string string string pointer pointer], :int,
                    blocking: true
    # Written out (not generated from the two prefixes): tests/bindings/check_against_header.py
    # looks for each name.
    attach_function :weave_feedback_query_set_offset, %i[pointer int64 pointer], :int
    attach_function :weave_feedback_query_set_limit, %i[pointer int64 pointer], :int
    attach_function :weave_feedback_query_set_show_refs, %i[pointer bool pointer], :int
    attach_function :weave_feedback_query_len, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_feedback_query_get, %i[pointer int64 pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_set_offset, %i[pointer int64 pointer], :int
    attach_function :weave_ref_feedback_query_set_limit, %i[pointer int64 pointer], :int
    attach_function :weave_ref_feedback_query_set_show_refs, %i[pointer bool pointer], :int
    attach_function :weave_ref_feedback_query_len, %i[pointer pointer pointer], :int, blocking: true
    attach_function :weave_ref_feedback_query_get, %i[pointer int64 pointer pointer], :int, blocking: true
    attach_function :weave_feedback_query_set_reaction, %i[pointer string pointer], :int
    attach_function :weave_feedback_query_set_sort_by, %i[pointer string pointer], :int
    attach_function :weave_feedback_query_set_fields, %i[pointer string pointer], :int
    attach_function :weave_feedback_query_fetch_projected, %i[pointer pointer pointer], :int, blocking: true
  end

  class Client
    # The row with this id in entity/project (the Python SDK's client.get_feedback(id)), as a
    # Feedback. No such row raises NotFoundError with http_status 0 (the server answered, with
    # no row). One request. Calls on one Client are serialised by its Mutex, as every call on
    # a handle is: use a Client per thread for parallel lookups.
    def get_feedback(entity, project, feedback_id)
      out = call("weave_client_get_feedback") do |h, o, e|
        Native.weave_client_get_feedback(h, Call.cstr(entity), Call.cstr(project), Call.cstr(feedback_id), o, e)
      end
      Call.first_row(out)
    end
  end

  module Call
    module_function

    # The one row of a one-row weave_feedbacks (an out-parameter slot); frees the list.
    def first_row(out)
      rows = Feedbacks.new(FeedbacksPointer.new(out.read_pointer))
      rows.first
    ensure
      rows&.close
    end
  end

  # Settings and collection methods of both query kinds (the C functions named PREFIX_...).
  module Collection
    # The number of rows: the first use fetches them (as #execute does), later calls read the
    # cache.
    def length
      fn = :"#{self.class::PREFIX}_len"
      call(fn.to_s, FFI::MemoryPointer.new(:size_t)) { |h, o, e| Native.public_send(fn, h, o, e) }.read(:size_t)
    end
    alias size length

    # Row `index` (negative: from the end, as Array#[]), or nil when out of range. Fetched on
    # first use, then read from the cache.
    def [](index)
      index = Integer(index)
      n = length
      return nil unless index >= -n && index < n

      fn = :"#{self.class::PREFIX}_get"
      Call.first_row(call(fn.to_s) { |h, o, e| Native.public_send(fn, h, index, o, e) })
    end

    # Skips the first `n` rows (nil: none). Clears the cache.
    def offset=(n)
      set(:offset, n.nil? ? -1 : Integer(n))
    end

    # Returns at most `n` rows (nil: no limit). Clears the cache.
    def limit=(n)
      set(:limit, n.nil? ? -1 : Integer(n))
    end

    # Shows or hides the Ref column of Feedbacks#to_table. Clears the cache.
    def show_refs=(show)
      set(:show_refs, show ? true : false)
    end

    private

    def set(setting, value)
      fn = :"#{self.class::PREFIX}_set_#{setting}"
      call(fn.to_s, nil) { |h, _, e| Native.public_send(fn, h, value, e) }
    end
  end

  class RefFeedbackQuery
    include Collection
  end

  class FeedbackQuery
    include Collection

    # Keeps only reactions with exactly this emoji, on top of the query's filter (the Python
    # SDK's get_feedback(reaction: ...), which also uses offset 0, limit 100 and the Ref column:
    # set those yourself). nil or "" removes it. Clears the cache.
    def reaction=(emoji)
      set(:reaction, Call.cstr(emoji))
    end

    # Orders the rows by these keys in turn: Hashes `{field:, direction: "asc" | "desc"}`, a field
    # being a column (created_at, ...) or a payload path (payload.score); or JSON text. nil
    # restores created_at ascending; [] asks for no order. An unknown field raises
    # InvalidArgumentError ("Unknown field: <name>") and leaves the query as it was. A query
    # sorted otherwise than by created_at ascending cannot be walked with #pages. Clears the
    # cache.
    def sort_by=(keys)
      set(:sort_by, keys.nil? || keys.is_a?(String) ? keys : JSON.generate(keys.to_a))
    end

    # Asks for these fields only: column names and payload paths (["id", "payload.score"]); nil
    # or [] means whole rows. An unknown field raises InvalidArgumentError and leaves the query
    # as it was. A projected query is read only with #fetch_projected (#execute, #length, #[]
    # and #pages raise InvalidArgumentError). Clears the cache.
    def fields=(fields)
      set(:fields, fields.nil? || fields.is_a?(String) ? fields : JSON.generate(fields.map(&:to_s)))
    end

    # The rows with only the fields set by #fields= (whole rows without), as Hashes exactly as
    # the server sent them: a column keeps its name, a payload path such as payload.score is its
    # own key. One request each call, nothing cached.
    def fetch_projected
      out = call("weave_feedback_query_fetch_projected") do |h, o, e|
        Native.weave_feedback_query_fetch_projected(h, o, e)
      end
      JSON.parse(Call.take_string(out))
    end
  end
end
