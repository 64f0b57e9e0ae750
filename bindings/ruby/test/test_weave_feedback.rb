# frozen_string_literal: true

# Tests of the installed gem against the test server (tests/server/): run by tests/hosts/run.sh
# (gem build + gem install into a temporary GEM_HOME, then these), or by hand with
# WEAVE_TEST_BASE_URL (and WEAVE_TEST_API_KEY when the server wants one) set:
#   ruby bindings/ruby/test/test_weave_feedback.rb

require "minitest/autorun"
require "net/http"
require "securerandom"
require "weave_feedback" # the installed gem, not ../lib

BASE_URL = ENV.fetch("WEAVE_TEST_BASE_URL") do
  abort "WEAVE_TEST_BASE_URL is not set: start tests/server/start_server.sh (tests/hosts/run.sh does)"
end
API_KEY = ENV.fetch("WEAVE_TEST_API_KEY", "")

# The add_note function attached WITHOUT `blocking: true`: the negative control of the GVL test.
module HoldsTheGVL
  extend FFI::Library
  ffi_lib WeaveFeedback::Native.ffi_libraries.map(&:name)
  attach_function :weave_ref_feedback_query_add_note, %i[pointer string string pointer pointer], :int
end

class WeaveFeedbackTest < Minitest::Test
  def setup
    @client = WeaveFeedback::Client.new(base_url: BASE_URL, api_key: API_KEY)
  end

  def teardown
    @client.close
    control("/__test/reset", {}) if @faults
  end

  def new_ref(project)
    "weave:///ruby-tests/#{project}/call/#{SecureRandom.uuid}"
  end

  def control(path, body = nil)
    uri = URI(BASE_URL + path)
    res = body ? Net::HTTP.post(uri, JSON.generate(body), "Content-Type" => "application/json") : Net::HTTP.get_response(uri)
    assert_equal "200", res.code, "#{path}: #{res.body}"
    JSON.parse(res.body)
  end

  def set_faults(faults)
    @faults = true
    control("/__test/reset", {})
    control("/__test/faults", faults)
  end

  def create_requests
    control("/__test/stats")["requests"].fetch("/feedback/create", 0)
  end

  def rows_by_id(query)
    rows = query.execute
    rows.to_h { |r| [r.id, r] }.tap { |h| assert_equal rows.size, h.size, "duplicate ids" }
  ensure
    rows&.close
  end

  def test_version_and_statuses
    assert_match(/\A\d+\.\d+\.\d+\z/, WeaveFeedback.version)
    assert_equal WeaveFeedback::ABI_MAJOR, WeaveFeedback.version.split(".").first.to_i
    refute_includes $LOADED_FEATURES.grep(/weave_feedback\.rb/).first, "bindings/ruby/lib",
                    "the tests must load the installed gem"
    assert_equal 2, WeaveFeedback::STATUSES.index(:invalid_ref)
    assert_equal 3, WeaveFeedback::STATUSES.index(:invalid_feedback)
    assert_equal "invalid ref", WeaveFeedback::Native.weave_status_str(2)
  end

  def test_add_query_purge
    ref = new_ref("chatbot")
    q = @client.ref_feedback_query(ref)
    reaction = q.add_reaction("👍", creator: "Dana")
    note = q.add_note("Clear and correct answer.")
    score = q.add("helpfulness", { score: 4 })
    assert_equal 3, [reaction, note, score].uniq.size

    rows = rows_by_id(q)
    assert_equal [reaction, note, score].sort, rows.keys.sort
    assert_equal "wandb.reaction.1", rows[reaction].feedback_type
    assert_equal "👍", rows[reaction].payload["emoji"]
    assert_equal "Dana", rows[reaction].creator
    assert_equal "wandb.note.1", rows[note].feedback_type
    assert_equal({ "note" => "Clear and correct answer." }, rows[note].payload)
    assert_nil rows[note].creator
    assert_equal "helpfulness", rows[score].feedback_type
    assert_equal({ "score" => 4 }, rows[score].payload)
    rows.each_value do |f|
      assert_equal ref, f.weave_ref
      assert_equal "ruby-tests/chatbot", f.project_id
      assert_in_delta Time.now.to_f, f.created_time.to_f, 3600
      assert_equal Encoding::UTF_8, f.payload_json.encoding
    end

    result = q.execute
    table = result.to_table
    assert_includes table, "helpfulness"
    assert_includes table, note
    assert_equal 3, JSON.parse(result.to_json).size
    assert_equal [ref], result.refs
    assert_equal [ref], q.refs
    result.close
    result.close # idempotent
    assert_raises(WeaveFeedback::ClosedError) { result.to_table }

    q.purge(note)
    after = rows_by_id(q)
    assert_equal [reaction, score].sort, after.keys.sort
    q.close
    q.close
    assert_raises(WeaveFeedback::ClosedError) { q.execute }
  end

  def test_errors
    e = assert_raises(WeaveFeedback::InvalidRefError) { @client.ref_feedback_query("not a ref") }
    assert_equal 2, e.status
    assert_equal :invalid_ref, e.status_name
    assert_equal 0, e.http_status
    refute_empty e.message
    assert_equal "weave_ref_feedback_query_new", e.operation

    q = @client.ref_feedback_query(new_ref("errors"))
    e = assert_raises(WeaveFeedback::InvalidFeedbackError) { q.add_note("") }
    assert_equal 3, e.status
    refute_empty e.message
    assert_raises(WeaveFeedback::InvalidFeedbackError) { q.add("wandb.custom") }
    assert_raises(WeaveFeedback::InvalidArgumentError) { q.add("helpfulness", "[1, 2]") }
    assert_raises(ArgumentError) { q.add_note("cut\0short") } # ruby-ffi refuses NUL bytes
    assert_raises(WeaveFeedback::InvalidArgumentError) { @client.feedback_query("ruby-tests", "a/b") }

    unless API_KEY.empty? # the server wants a key: without one, 401
      WeaveFeedback::Client.open(base_url: BASE_URL, api_key: "") do |anon|
        e = assert_raises(WeaveFeedback::UnauthorizedError) { anon.ref_feedback_query(new_ref("errors")).execute }
        assert_equal 401, e.http_status
      end
    end
    assert_equal 0, q.execute.size
  end

  def test_retry_after_503
    set_faults(fail_first: 1, fail_status: 503, routes: ["/feedback/create"])
    client = WeaveFeedback::Client.new(base_url: BASE_URL, api_key: API_KEY, retry_base_delay: 0.01)
    q = client.ref_feedback_query(new_ref("retry"))
    id = q.add_reaction("🎉")
    rows = rows_by_id(q)
    assert_equal [id], rows.keys
    assert_equal "wandb.reaction.1", rows[id].feedback_type
    assert_equal 2, create_requests, "a 503, then the stored request"
    client.close
  end

  def test_server_error_after_retries
    set_faults(fail_first: 100, fail_status: 503, routes: ["/feedback/create"])
    client = WeaveFeedback::Client.new(base_url: BASE_URL, api_key: API_KEY, max_retries: 1,
                                       retry_base_delay: 0.001)
    q = client.ref_feedback_query(new_ref("retry"))
    e = assert_raises(WeaveFeedback::ServerError) { q.add_note("never stored") }
    assert_equal 503, e.http_status
    assert_equal 2, e.attempts
    assert_equal 1, e.feedback_ids.size
    assert_equal 36, e.feedback_ids.first.size
    assert_equal 0, q.execute.size
    client.close
  end

  # Runs `add` on this thread while another thread runs Ruby code. The other thread counts the
  # rounds in which it saw the add in flight: the server has received the create request (the
  # fault delays it 500 ms) and the row is not stored yet. It can only see that while this
  # thread is inside the C call, so a count above 0 proves the GVL was released.
  def rounds_seen_during_the_call(&add)
    ref = new_ref("gvl")
    set_faults(delay_ms: 500, delay_first: 1, delay_then_process: true, routes: ["/feedback/create"])
    probe = @client.ref_feedback_query(ref)
    q = @client.ref_feedback_query(ref)
    seen = 0
    spins = 0
    stop = false
    other = Thread.new do
      until stop
        spins += 1 # plain Ruby work
        received = create_requests.positive?
        seen += 1 if received && probe.refresh.size.zero?
      end
    end
    id = add.call(q)
    during = seen
    stop = true
    other.join
    assert_equal [id], rows_by_id(q).keys
    assert_operator spins, :>, 0
    during
  end

  def test_blocking_call_releases_the_gvl
    during = rounds_seen_during_the_call { |q| q.add_note("added while another thread runs Ruby") }
    assert_operator during, :>, 0, "no Ruby thread ran while add_note waited for the server"
  end

  # The negative control: the same call attached without `blocking: true` holds the GVL, and
  # the other thread never sees the call in flight. This shows the test above can fail.
  def test_without_blocking_true_the_gvl_is_held
    during = rounds_seen_during_the_call do |q|
      out = FFI::MemoryPointer.new(:pointer)
      err = FFI::MemoryPointer.new(:pointer)
      status = q.send(:with_handle) do |h|
        HoldsTheGVL.weave_ref_feedback_query_add_note(h, "added holding the GVL", nil, out, err)
      end
      assert_equal 0, status
      WeaveFeedback::Call.take_string(out)
    end
    assert_equal 0, during
  end

  def test_threads_share_one_client
    ref = new_ref("threads")
    shared = @client.ref_feedback_query(ref)
    ids = Queue.new
    threads = Array.new(6) do |t|
      Thread.new do
        q = @client.ref_feedback_query(ref)
        3.times { |i| ids << q.add("helpfulness", { score: i, thread: t }) }
        ids << shared.add_note("from thread #{t}")
        q.close
      end
    end
    threads.each(&:join)
    added = Array.new(ids.size) { ids.pop }
    assert_equal 24, added.uniq.size
    assert_equal added.sort, rows_by_id(shared).keys.sort
  end

  def test_garbage_collected_handles
    ref = new_ref("gc")
    ids = 10.times.map do |i|
      q = @client.ref_feedback_query(ref) # never closed: AutoPointer frees it
      id = q.add_note("note #{i}")
      q.execute.to_table # the result is never closed either
      GC.start
      id
    end
    GC.start
    assert_equal ids.sort, rows_by_id(@client.ref_feedback_query(ref)).keys.sort
  end

  def test_replace_and_batch
    fixed = "0192f3a4-5b6c-7d8e-9f01-000000000003"
    q = @client.ref_feedback_query(new_ref("batch"))
    ids = q.add_batch([{ feedback_type: "helpfulness", payload: { score: 1 }, creator: "Dana" },
                       { feedback_type: "wandb.note.1", payload: { note: "batched" } },
                       { feedback_type: "helpfulness", payload: { score: 3 }, id: fixed }])
    assert_equal 3, ids.size
    assert_equal fixed, ids[2]
    rows = rows_by_id(q)
    assert_equal ids.sort, rows.keys.sort
    assert_equal "Dana", rows[ids[0]].creator
    assert_equal({ "note" => "batched" }, rows[ids[1]].payload)
    assert_equal ids[0], JSON.parse(rows[ids[0]].json)["id"]

    assert_equal ids[0], q.replace(ids[0], "helpfulness", { score: 5 }, creator: "Eve")
    rows = rows_by_id(q)
    assert_equal({ "score" => 5 }, rows[ids[0]].payload)
    assert_equal "Eve", rows[ids[0]].creator

    assert_raises(WeaveFeedback::InvalidFeedbackError) do
      q.add_batch([{ feedback_type: "helpfulness" }, { feedback_type: "wandb.note.1", payload: { note: "" } }])
    end
    assert_equal 3, rows_by_id(q).size
    q.close
  end

  def test_batch_refused_by_the_server_names_every_id
    set_faults(fail_first: 100, fail_status: 400, routes: ["/feedback/batch/create"])
    a = "0192f3a4-5b6c-7d8e-9f01-0000000000a1"
    b = "0192f3a4-5b6c-7d8e-9f01-0000000000a2"
    q = @client.ref_feedback_query(new_ref("batch"))
    e = assert_raises(WeaveFeedback::RejectedError) do
      q.add_batch([{ feedback_type: "helpfulness", id: a }, { feedback_type: "helpfulness", id: b }])
    end
    assert_equal 400, e.http_status
    assert_equal [a, b], e.feedback_ids
  end

  def test_project_query
    project = "project-#{SecureRandom.hex(8)}"
    refs = [new_ref(project), new_ref(project)]
    refs.each do |ref|
      q = @client.ref_feedback_query(ref)
      q.add_note("a note on #{ref}")
      q.add_reaction("👍")
      q.close
    end
    notes_only = { "$expr" => { "$eq" => [{ "$getField" => "feedback_type" }, { "$literal" => "wandb.note.1" }] } }
    notes = @client.feedback_query("ruby-tests", project, query: notes_only, show_refs: true)
    rows = notes.execute
    assert_equal 2, rows.size
    assert_equal refs.sort, rows.refs.sort
    assert_includes rows.to_table, refs[0]
    assert_equal refs.sort, notes.refs.sort
    limited = @client.feedback_query("ruby-tests", project, offset: 1, limit: 3)
    assert_equal 3, limited.refresh.size
  end

  # ------------------------------------------------------------------ pages (cursor)

  def seed_project(count)
    project = "pages-#{SecureRandom.hex(8)}"
    q = @client.ref_feedback_query(new_ref(project))
    ids = q.add_batch(Array.new(count) { |i| { feedback_type: "helpfulness", payload: { score: i } } })
    assert_equal count, ids.size
    [project, q, ids]
  end

  def query_requests
    control("/__test/stats")["requests"].fetch("/feedback/query", 0)
  end

  # The ids of every page, in order, checking each page's size and the (created_at, id) order;
  # `between` runs after the first page.
  def walk(pages, page_size, between = nil)
    seen = []
    last = nil
    pages.each_with_index do |page, number|
      assert_includes 1..page_size, page.size, "page #{number}"
      page.each do |row|
        key = [row.created_time, row.id]
        assert last.nil? || (key <=> last) == 1, "#{key} after #{last}"
        seen << row.id
        last = key
      end
      page.close
      between&.call if number.zero?
    end
    seen
  end

  # 23 rows in pages of 5: every row exactly once, in order, although a row of the first page
  # is purged and a row is added after it.
  def test_each_page_walks_every_row_once
    project, ref, ids = seed_project(23)
    q = @client.feedback_query("ruby-tests", project)
    before = query_requests
    added = nil
    seen = walk(q.each_page(5), 5, lambda {
      ref.purge(ids[0])
      added = ref.add_note("added meanwhile")
    })
    assert_equal (ids + [added]).sort, seen.sort # each once: no skip, no repeat
    assert_equal added, seen.last, "the row added during the walk is not last"
    assert_equal 5, query_requests - before # four full pages, then a short one ends the walk
    # each_page with a block, and Enumerable over the pages: a new walk each time.
    assert_equal 23, q.each_page(10).sum(&:size)
    count = 0
    assert_same q, q.each_page(7) { |page| count += page.size }
    assert_equal 23, count
  ensure
    ref&.close
    q&.close
  end

  def test_pages_offset_limit_and_errors
    project, ref, ids = seed_project(12)
    q = @client.feedback_query("ruby-tests", project)
    in_order = walk(q.pages(12), 12)
    assert_equal ids.sort, in_order.sort
    assert_raises(WeaveFeedback::InvalidArgumentError) { q.pages(0) }
    assert_raises(ArgumentError) { q.pages(-1) }
    # Offset and limit bound the whole walk, not each page.
    limited = @client.feedback_query("ruby-tests", project, offset: 2, limit: 7)
    assert_equal in_order[2, 7], walk(limited.pages(3), 3)
    closed = limited.pages(3) { |pages| pages }
    assert_raises(WeaveFeedback::ClosedError) { closed.next_page }
    # Enumerable over each_page: first stops after one page (the block form closes the cursor).
    assert_equal 3, limited.each_page(3).first.size

    # A failed page raises Error and ends the walk.
    WeaveFeedback::Client.open(base_url: BASE_URL, api_key: API_KEY, max_retries: 0) do |client|
      pages = client.feedback_query("ruby-tests", project).pages(4)
      assert_equal 4, pages.next_page.size
      set_faults(fail_first: 100, fail_status: 500, routes: ["/feedback/query"])
      e = assert_raises(WeaveFeedback::ServerError) { pages.next_page }
      assert_equal 500, e.http_status
      assert_nil pages.next_page
      assert pages.closed?
    end
  ensure
    ref&.close
    q&.close
  end

  def test_client_options
    e = assert_raises(WeaveFeedback::InvalidArgumentError) do
      WeaveFeedback::Client.new(base_url: "http://weave.invalid", api_key: "k")
    end
    assert_includes e.message, "http://"
    WeaveFeedback::Client.new(base_url: "http://weave.invalid", api_key: "k", allow_insecure_http: true,
                              timeout: 1, max_retries: 0, retry_base_delay: 0.001, deadline: 1).close
    assert_raises(WeaveFeedback::InvalidArgumentError) { WeaveFeedback::Client.new(base_url: "ftp://x") }
    assert_raises(WeaveFeedback::InvalidArgumentError) { WeaveFeedback::Client.new(max_response_bytes: 0) }

    # An answer over the cap is a decode error; the same query with room succeeds.
    ref = new_ref("cap")
    WeaveFeedback::Client.open(base_url: BASE_URL, api_key: API_KEY, max_response_bytes: 1 << 20) do |roomy|
      q = roomy.ref_feedback_query(ref)
      q.add_note("a note that makes the query's answer larger than 64 bytes")
      assert_equal 1, rows_by_id(q).size
    end
    WeaveFeedback::Client.open(base_url: BASE_URL, api_key: API_KEY, max_response_bytes: 64) do |small|
      e = assert_raises(WeaveFeedback::DecodeError) { small.ref_feedback_query(ref).execute }
      assert_includes e.message, "64"
    end

    # The deadline bounds the whole call: every attempt is delayed 1.5 s.
    set_faults(delay_ms: 1500, routes: ["/feedback/query"])
    client = WeaveFeedback::Client.new(base_url: BASE_URL, api_key: API_KEY, deadline: 0.3, max_retries: 5)
    q = client.ref_feedback_query(new_ref("deadline"))
    start = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    assert_raises(WeaveFeedback::TimeoutError) { q.execute }
    assert_operator Process.clock_gettime(Process::CLOCK_MONOTONIC) - start, :<, 1.2
    client.close
  end
end

require_relative "test_reading"
require_relative "test_outbox"
