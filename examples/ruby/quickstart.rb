# frozen_string_literal: true

# Quick start: feedback on a Weave call from Ruby, through the C API.
#
# Build the library first (`cargo build` at the repository root), then:
#   LD_LIBRARY_PATH=target/debug WANDB_API_KEY=... ruby examples/ruby/quickstart.rb [weave:///entity/project/call/<id>]
# The server and key come from the environment as in Weave's SDK (WF_TRACE_SERVER_URL,
# WANDB_API_KEY, ...). It adds a reaction, a note and a custom score to the call, prints the
# feedback as the SDK's table, then purges the note.

require_relative "lib/weave_feedback"

call = ARGV.fetch(0, "weave:///acme/chatbot/call/0192f3a4-5b6c-7d8e-9f01-23456789abcd")

begin
  WeaveFeedback::Client.open do |client| # no options: NULL, the environment decides
    feedback = client.ref_feedback(call)
    feedback.add_reaction("👍", creator: "Dana")
    note_id = feedback.add_note("Clear and correct answer.")
    feedback.add("helpfulness", { score: 4 })

    rows = feedback.execute
    puts "#{rows.size} feedback rows on #{call}:"
    print rows.to_table
    rows.each { |f| puts "  #{f.created_at} #{f.feedback_type} #{f.payload_json}" }
    rows.close

    # Purging clears the query's cache: the next execute fetches again.
    feedback.purge(note_id)
    puts "purged the note; #{feedback.execute.size} rows remain"
    feedback.close
  end
rescue WeaveFeedback::Error => e
  warn "#{e.operation} failed: #{e.message} (#{e.status_name}, HTTP #{e.http_status})"
  exit 1
end
