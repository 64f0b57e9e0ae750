# frozen_string_literal: true

Gem::Specification.new do |s|
  s.name = "weave_feedback"
  s.version = "0.2.0"
  s.summary = "Ruby binding (ffi) of weave-feedback's C library: feedback on W&B Weave calls and objects"
  s.description = "Reactions, notes, scores and annotations on W&B Weave calls and objects, through " \
                  "libweave_feedback (installed with `make install`; found through pkg-config or " \
                  "WEAVE_FEEDBACK_LIB)."
  s.authors = ["weave-feedback contributors"]
  s.license = "Apache-2.0"
  s.required_ruby_version = ">= 3.1"
  s.files = ["lib/weave_feedback.rb", "lib/weave_feedback/pages.rb",
             "lib/weave_feedback/reading.rb", "lib/weave_feedback/refs.rb", "lib/weave_feedback/outbox.rb",
             "README.md"]
  s.require_paths = ["lib"]
  s.requirements = ["libweave_feedback 0.x (make install; pkg-config weave-feedback)"]
  s.add_dependency "ffi", ">= 1.15", "< 2"
  s.metadata["rubygems_mfa_required"] = "true"
end
