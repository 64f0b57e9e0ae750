# frozen_string_literal: true

# Reading by id, query settings, a query as a collection, sort and fields, refs from parts and
# scorer feedback: the checks of tests/c/reading.c and tests/c/writing.c, through the gem.
# Loaded by test_weave_feedback.rb (its setup and helpers apply).

class WeaveFeedbackTest
  UP = "👍"

  # On call A of a new project: 👍 (Dana), a note, 👎, scores 3 and 10; on call B: 👍.
  def reading_seed
    project = "reading-#{SecureRandom.hex(6)}"
    a = @client.ref_feedback_query(new_ref(project))
    b = @client.ref_feedback_query(new_ref(project))
    ids = { up: a.add_reaction(UP, creator: "Dana"), note: a.add_note("fine"), down: a.add_reaction("👎"),
            up_b: b.add_reaction(UP), s3: a.add("score", { score: 3 }), s10: a.add("score", { score: 10 }) }
    b.close
    [project, a, ids]
  end

  def shows_refs?(rows)
    rows.to_table.start_with?("Ref ")
  ensure
    rows.close
  end

  def query_requests
    control("/__test/stats")["requests"].fetch("/feedback/query", 0)
  end

  def test_get_feedback_by_id
    project, a, ids = reading_seed
    row = @client.get_feedback("ruby-tests", project, ids[:note])
    assert_instance_of WeaveFeedback::Feedback, row
    assert_equal [ids[:note], { "note" => "fine" }], [row.id, row.payload]
    err = assert_raises(WeaveFeedback::NotFoundError) do
      @client.get_feedback("ruby-tests", project, "0192f3a4-0000-7000-8000-000000000000")
    end
    assert_equal 0, err.http_status # the server answered, with no row
    assert err.message.start_with?("not found: no feedback with id 0192f3a4-"), err.message
    assert_raises(WeaveFeedback::InvalidArgumentError) { @client.get_feedback("ruby-tests", project, "") }
  ensure
    a&.close
  end

  def test_query_as_collection_and_settings
    project, a, ids = reading_seed
    q = @client.feedback_query("ruby-tests", project, offset: 0, limit: 100, show_refs: true)

    q.reaction = UP
    rows = q.execute
    assert_equal [ids[:up], ids[:up_b]], rows.map(&:id)
    assert shows_refs?(rows)
    q.reaction = nil

    before = query_requests
    assert_equal 6, q.length
    assert_equal 6, q.size
    assert_equal ids[:s10], q[-1].id
    assert_equal ids[:up], q[-6].id
    assert_equal [ids[:note], "wandb.note.1"], [q[1].id, q[1].feedback_type]
    assert_nil q[6] # out of range: nil, as Array#[]
    assert_nil q[-7]
    assert_equal 1, query_requests - before, "length and [] must share one fetch"

    q.offset = 4
    q.limit = nil
    q.show_refs = false
    rows = q.execute
    assert_equal [ids[:s3], ids[:s10]], rows.map(&:id)
    refute shows_refs?(rows)
    q.limit = 1
    assert_equal 1, q.length
    q.offset = nil
    q.limit = nil

    a.offset = 1
    a.limit = 1
    rows = a.execute
    assert_equal [ids[:note]], rows.map(&:id)
    refute shows_refs?(rows)
    a.offset = nil
    a.limit = nil
    a.show_refs = true
    assert_equal 5, a.length
    assert_equal ids[:s10], a[-1].id
    assert_nil a[5]
    assert shows_refs?(a.execute)

    a.close
    assert_raises(WeaveFeedback::ClosedError) { a.length }
    assert_raises(WeaveFeedback::ClosedError) { a.limit = 1 }
  ensure
    q&.close
    a&.close
  end

  def test_sort_by_and_fields
    project, a, ids = reading_seed
    q = @client.feedback_query("ruby-tests", project)
    q.sort_by = [{ field: "created_at", direction: "desc" }]
    assert_equal ids[:s10], q[0].id
    err = assert_raises(WeaveFeedback::InvalidArgumentError) { q.pages(10) }
    assert_includes err.message, "sort_by"
    err = assert_raises(WeaveFeedback::InvalidArgumentError) { q.sort_by = [{ field: "nope", direction: "asc" }] }
    assert_includes err.message, "Unknown field: nope"
    assert_raises(WeaveFeedback::InvalidArgumentError) { q.sort_by = [{ field: "id", direction: "ASC" }] }
    assert_equal ids[:s10], q[0].id, "a refused setting changed nothing"
    q.sort_by = []
    assert_equal 6, q.length
    q.sort_by = nil
    assert_equal ids[:up], q[0].id
    q.pages(10, &:close)

    scores = @client.feedback_query("ruby-tests", project,
                                    query: { "$expr" => { "$eq" => [{ "$getField" => "feedback_type" },
                                                                     { "$literal" => "score" }] } })
    scores.fields = ["id", :"payload.score"]
    assert_equal [{ "id" => ids[:s3], "payload.score" => 3 }, { "id" => ids[:s10], "payload.score" => 10 }],
                 scores.fetch_projected
    err = assert_raises(WeaveFeedback::InvalidArgumentError) { scores.execute }
    assert_includes err.message, "fetch_projected"
    assert_raises(WeaveFeedback::InvalidArgumentError) { scores.length }
    assert_raises(WeaveFeedback::InvalidArgumentError) { scores.fields = ["nope"] }
    scores.fields = nil
    assert_equal 2, scores.length
    assert_equal %w[score score], scores.fetch_projected.map { |r| r["feedback_type"] }
  ensure
    [q, scores, a].each { |h| h&.close }
  end

  def test_refs_from_parts
    assert_equal "weave:///acme/chatbot/call/0192f3a4", WeaveFeedback.call_ref("acme", "chatbot", "0192f3a4")
    assert_equal "weave:///acme/chatbot/object/eval-set:v3/attr/rows/id/row%2F7%20%C3%A9%25",
                 WeaveFeedback.object_ref("acme", "chatbot", "eval-set", "v3", "attr", "rows", "id", "row/7 é%")
    assert_equal "weave:///acme/chatbot/op/judge:abc/key/a%3Ab",
                 WeaveFeedback.op_ref("acme", "chatbot", "judge", "abc", "key", "a:b")
    assert_equal "weave:///acme/chatbot/table/Kp2", WeaveFeedback.table_ref("acme", "chatbot", "Kp2")
    [-> { WeaveFeedback.call_ref("", "p", "x") }, -> { WeaveFeedback.call_ref("e", "p", "a/b") },
     -> { WeaveFeedback.object_ref("e", "p", "a:b", "v") }, -> { WeaveFeedback.op_ref("e", "p", "a", "") },
     -> { WeaveFeedback.table_ref("e", "p", "d:1") }].each do |build|
      assert_raises(WeaveFeedback::InvalidArgumentError, &build)
    end
    assert_raises(ArgumentError) { WeaveFeedback.call_ref("e", "p", "x", "key", "a\0b") }
    assert_raises(ArgumentError) { WeaveFeedback.table_ref("e", "p", nil) }

    ref = WeaveFeedback.call_ref("ruby-tests", "built", SecureRandom.uuid)
    q = @client.ref_feedback_query(ref)
    q.add_note("on a built ref")
    assert_equal ref, q[0].weave_ref
  ensure
    q&.close
  end

  def test_add_runnable
    project = "runnable-#{SecureRandom.hex(6)}"
    call = new_ref(project)
    scoring_call = new_ref(project)
    judge_op = WeaveFeedback.op_ref("ruby-tests", project, "judge", "abc")
    judge_obj = WeaveFeedback.object_ref("ruby-tests", project, "judge", "abc")
    q = @client.ref_feedback_query(call)
    id = q.add_runnable(judge_op, { score: 0.5 }, call_ref: scoring_call, trigger_ref: judge_obj, creator: "ci")
    label = q.add_runnable(judge_obj, "good") # a String output is a JSON string

    assert_raises(WeaveFeedback::InvalidFeedbackError) { q.add_runnable(judge_op, 1) } # an op needs call_ref
    assert_raises(WeaveFeedback::InvalidRefError) { q.add_runnable(call, 1) }

    rows = rows_by_id(q)
    assert_equal 2, rows.size
    r = rows.fetch(id)
    assert_equal ["wandb.runnable.judge", { "output" => { "score" => 0.5 } }, judge_op, scoring_call, judge_obj, "ci"],
                 [r.feedback_type, r.payload, r.runnable_ref, r.call_ref, r.trigger_ref, r.creator]
    l = rows.fetch(label)
    assert_equal [{ "output" => "good" }, judge_obj, nil], [l.payload, l.runnable_ref, l.call_ref]
  ensure
    q&.close
  end
end
