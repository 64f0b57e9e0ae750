# frozen_string_literal: true

# Writing beyond #add: refs built from their parts (WeaveFeedback.call_ref, .object_ref,
# .op_ref, .table_ref; no network) and scorer feedback (RefFeedbackQuery#add_runnable).
# Required by weave_feedback.rb once its helpers exist.
module WeaveFeedback
  module Native
    attach_function :weave_ref_build_call, %i[pointer pointer pointer pointer size_t pointer pointer], :int
    attach_function :weave_ref_build_object,
                    %i[pointer pointer pointer pointer pointer size_t pointer pointer], :int
    attach_function :weave_ref_build_op, %i[pointer pointer pointer pointer pointer size_t pointer pointer], :int
    attach_function :weave_ref_build_table, %i[pointer pointer pointer pointer pointer], :int
    attach_function :weave_ref_feedback_query_add_runnable,
                    %i[pointer string string string string string pointer pointer], :int, blocking: true
  end

  # weave:///<entity>/<project>/call/<id>, then the extra path parts, each percent-escaped as
  # the Python SDK's CallRef(...).uri writes them. An empty part or a "/" in entity, project or
  # id raises InvalidArgumentError (the ref would not parse back to these parts).
  def self.call_ref(entity, project, id, *extra)
    RefBuilder.build(:weave_ref_build_call, [entity, project, id], extra)
  end

  # weave:///<entity>/<project>/object/<name>:<version>, then the extra path parts (usually
  # edge/value pairs: "key", "attr", "index" or "id" and a value), each percent-escaped, as the
  # SDK's ObjectRef(...).uri. An empty part, a "/" in any part or a ":" in name or version
  # raises InvalidArgumentError.
  def self.object_ref(entity, project, name, version, *extra)
    RefBuilder.build(:weave_ref_build_object, [entity, project, name, version], extra)
  end

  # weave:///<entity>/<project>/op/<name>:<version>, with the rules of .object_ref.
  def self.op_ref(entity, project, name, version, *extra)
    RefBuilder.build(:weave_ref_build_op, [entity, project, name, version], extra)
  end

  # weave:///<entity>/<project>/table/<digest> (a table ref takes no extra parts). An empty
  # part, a "/" in any part or a ":" in digest raises InvalidArgumentError.
  def self.table_ref(entity, project, digest)
    RefBuilder.build(:weave_ref_build_table, [entity, project, digest], nil)
  end

  # Copies the parts to C memory (the strings and, for the extra parts, the array of pointers),
  # which stays alive until the call returns.
  module RefBuilder
    module_function

    def build(fn, parts, extra)
      args = parts.map { |part| c_string(part) }
      unless extra.nil?
        strings = extra.map { |part| c_string(part) }
        array = FFI::MemoryPointer.new(:pointer, [strings.size, 1].max)
        array.write_array_of_pointer(strings)
        args += [strings.empty? ? FFI::Pointer::NULL : array, strings.size]
      end
      out = FFI::MemoryPointer.new(:pointer)
      Call.checked(fn.to_s) { |e| Native.public_send(fn, *args, out, e) }
      Call.take_string(out)
    end

    # ruby-ffi's `:string` parameters refuse NUL bytes; these pointers are built by hand, so
    # they are checked here in the same way.
    def c_string(value)
      text = Call.cstr(value) or raise ArgumentError, "a ref part must not be nil"
      raise ArgumentError, "string contains null byte" if text.include?("\0")

      FFI::MemoryPointer.from_string(text)
    end
  end

  class RefFeedbackQuery
    # Adds a scorer's result, as the Python SDK's apply_scorer stores it: type
    # wandb.runnable.<name> after the scorer's name, payload {"output": output}.
    # `runnable_ref` is the scorer, an op or object version ref; `output` any JSON value (always
    # encoded: a String becomes a JSON string); `call_ref` the call that ran the scorer (required
    # for an op scorer); `trigger_ref` the monitor that triggered it. The server's rules are
    # checked first, with its messages (InvalidRefError, InvalidFeedbackError). Returns the id.
    def add_runnable(runnable_ref, output, call_ref: nil, trigger_ref: nil, creator: nil)
      output = JSON.generate(output)
      added("weave_ref_feedback_query_add_runnable") do |h, out, e|
        Native.weave_ref_feedback_query_add_runnable(h, Call.cstr(runnable_ref), output, Call.cstr(call_ref),
                                                     Call.cstr(trigger_ref), Call.cstr(creator), out, e)
      end
    end
  end
end
