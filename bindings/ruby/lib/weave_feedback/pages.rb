# frozen_string_literal: true

# FeedbackQuery#each_page and #pages: a walk over a project's rows, one page at a time,
# through the C library's weave_feedback_cursor. Required by weave_feedback.rb once its helpers
# exist.
module WeaveFeedback
  # The cursor's C functions (cursor_next is a network call: the GVL is released around it).
  module Native
    attach_function :weave_feedback_cursor_new, %i[pointer size_t pointer pointer], :int
    attach_function :weave_feedback_cursor_next, %i[pointer pointer pointer pointer], :int, blocking: true
    attach_function :weave_feedback_cursor_free, [:pointer], :void
  end

  class CursorPointer < FFI::AutoPointer
    def self.release(ptr) = Native.weave_feedback_cursor_free(ptr)
  end

  # The pages (Feedbacks, each with 1 to page_size rows) of every row of a FeedbackQuery, from
  # FeedbackQuery#pages; Enumerable over the pages, each page fetched when it is asked for.
  #
  # Pages come in a stable order, created_at then id, and each request asks for the rows after
  # the last one seen, so rows added or deleted during the walk are never skipped or repeated
  # (new rows come at the end). The C cursor is freed when the walk ends or a page fails (the
  # walk is over then), or by #close. It can be walked once.
  class Pages < Handle
    include Enumerable

    def initialize(handle)
      super
      @done = false
    end

    # The next page, or nil when every row has been seen (and on every later call).
    # Raises Error for a failed page; ClosedError after #close.
    def next_page
      return nil if @done

      done = FFI::MemoryPointer.new(:uint8) # a C bool
      out = call("weave_feedback_cursor_next") { |h, o, e| Native.weave_feedback_cursor_next(h, o, done, e) }
      return finish if done.read_uint8 != 0

      Feedbacks.new(FeedbacksPointer.new(out.read_pointer))
    rescue Error
      finish
      raise
    end

    # Yields each remaining page; an Enumerator without a block.
    def each
      return enum_for(:each) unless block_given?

      while (page = next_page)
        yield page
      end
      self
    end

    private

    def finish
      @done = true
      close
    end
  end

  class FeedbackQuery
    # A walk over every row, page_size rows per request (0 raises InvalidArgumentError): the
    # query's filter applies, its offset skips rows before the first page, its limit bounds the
    # whole walk; its cache is not used. Nothing is fetched yet. With a block, yields the Pages
    # and closes them afterwards.
    def pages(page_size)
      page_size = Integer(page_size)
      raise ArgumentError, "page_size must not be negative" if page_size.negative? # size_t

      out = call("weave_feedback_cursor_new") do |h, o, e|
        Native.weave_feedback_cursor_new(h, page_size, o, e)
      end
      pages = Pages.new(CursorPointer.new(out.read_pointer))
      return pages unless block_given?

      begin
        yield pages
      ensure
        pages.close
      end
    end

    # Yields every page of a new walk (see #pages); the cursor is freed when the block returns
    # or breaks. Without a block, an Enumerator of the pages (each enumeration walks afresh).
    def each_page(page_size, &block)
      return enum_for(:each_page, page_size) unless block

      pages(page_size) { |walk| walk.each(&block) }
      self
    end
  end
end
