# frozen_string_literal: true

# The durable outbox, as tests/c/outbox.c checks it from C, through the gem: adds queued while
# no server answers, a full outbox, a flush past its deadline, a second client on the same file
# delivering everything, a refused row kept as a dead letter, the counters, 401 keeping rows
# queued, and a client without an outbox. Loaded by test_weave_feedback.rb (its setup and
# helpers apply).

require "pathname"
require "socket"
require "tmpdir"

class WeaveFeedbackTest
  # A loopback URL nobody listens on: a port the system just gave out and took back.
  def down_url
    server = TCPServer.new("127.0.0.1", 0)
    port = server.addr[1]
    server.close
    "http://127.0.0.1:#{port}"
  end

  def outbox_client(url, path, max_rows, api_key: API_KEY)
    WeaveFeedback::Client.new(base_url: url, api_key:, retry_base_delay: 0.001, outbox_path: path,
                              outbox_max_rows: max_rows, outbox_lease: 30)
  end

  # The rows on ref by id; fails on a duplicate id.
  def stored(client, ref)
    q = client.ref_feedback_query(ref)
    rows_by_id(q)
  ensure
    q&.close
  end

  def test_outbox_queues_while_down_then_flushes
    Dir.mktmpdir do |dir|
      path = File.join(dir, "outbox.db")
      project = "outbox-#{SecureRandom.hex(6)}"
      ref = new_ref(project)

      # No server: adds succeed with their ids, until the outbox is full.
      offline = outbox_client(down_url, path, 3)
      q = offline.ref_feedback_query(ref)
      ids = [q.add_note("kept"), q.add_reaction("👍", creator: "Dana"), q.add("helpfulness", { score: 4 })]
      full = assert_raises(WeaveFeedback::OutboxFullError) { q.add_note("one too many") }
      assert_equal [13, :outbox_full], [full.status, full.status_name]
      assert_includes full.message, "outbox full"
      q.close
      assert_equal 3, offline.outbox_pending
      late = assert_raises(WeaveFeedback::TimeoutError) { offline.flush(0.2) }
      assert_equal 3, late.pending
      assert_equal WeaveFeedback::OutboxCounters.new(queued: 3, delivered: 0, retried: 0, dead: 0),
                   offline.outbox_counters
      offline.close

      # The server is there for a new client of the same file: one flush delivers everything.
      online = outbox_client(BASE_URL, path, 100)
      assert_equal 0, online.flush(60)
      assert_equal ids.sort, stored(online, ref).keys.sort

      # A row the server refuses (two emoji): the add succeeds, then it is a dead letter.
      q = online.ref_feedback_query(ref)
      refused = q.add_reaction("👍👍")
      q.close
      refute_includes stored(online, ref).keys, refused
      dead = online.dead_letters
      assert_equal [refused], dead.map { |d| d["id"] }
      assert_equal [400, "ruby-tests/#{project}", ref],
                   [dead[0]["http_status"], dead[0]["project_id"], dead[0]["request"]["weave_ref"]]
      assert_includes dead[0]["reason"], "exactly one emoji"
      assert_in_delta Time.now.to_f, dead[0]["failed_at_ms"] / 1000.0, 3600
      # retried: the offline client's tries had claimed the three rows before.
      assert_equal WeaveFeedback::OutboxCounters.new(queued: 1, delivered: 3, retried: 3, dead: 1),
                   online.outbox_counters
      assert_raises(WeaveFeedback::InvalidArgumentError) { online.purge_dead_letters("") }
      assert_equal 1, online.purge_dead_letters(refused)
      assert_equal [], online.dead_letters
      assert_equal 0, online.purge_dead_letters
      online.close
    end
  end

  def test_outbox_unauthorized_keeps_rows_queued
    skip "the test server takes any key: WEAVE_TEST_API_KEY is not set" if API_KEY.empty?
    Dir.mktmpdir do |dir|
      path = File.join(dir, "outbox.db")
      ref = new_ref("outbox")
      offline = outbox_client(down_url, path, 10)
      q = offline.ref_feedback_query(ref)
      id = q.add_note("waits for a key")
      q.close
      offline.close

      wrong_key = outbox_client(BASE_URL, path, 10, api_key: "not-#{API_KEY}")
      denied = assert_raises(WeaveFeedback::UnauthorizedError) { wrong_key.flush(60) }
      assert_equal [401, 1], [denied.http_status, denied.pending]
      assert_equal [], wrong_key.dead_letters
      wrong_key.close

      online = outbox_client(BASE_URL, path, 10)
      assert_equal 0, online.flush(60)
      assert_includes stored(online, ref).keys, id
      online.close
    end
  end

  def test_outbox_options_and_no_outbox
    Dir.mktmpdir do |dir|
      path = Pathname.new(dir) / "outbox.db"
      [{ outbox_max_rows: 0 }, { outbox_lease: 0 }].each do |bad|
        assert_raises(WeaveFeedback::InvalidArgumentError) do
          WeaveFeedback::Client.new(base_url: BASE_URL, outbox_path: path, **bad)
        end
      end
      assert_raises(ArgumentError) { WeaveFeedback::Client.new(base_url: BASE_URL, outbox_path: path, outbox_max_rows: -1) }
      WeaveFeedback::Client.open(base_url: BASE_URL, outbox_path: path) { |c| assert_equal 0, c.outbox_pending }
    end
    assert_equal 0, @client.flush(0)
    assert_equal 0, @client.outbox_pending
    assert_equal [], @client.dead_letters
    assert_equal WeaveFeedback::OutboxCounters.new(queued: 0, delivered: 0, retried: 0, dead: 0), @client.outbox_counters
    @client.close
    assert_raises(WeaveFeedback::ClosedError) { @client.flush(1) }
  end
end
