//! A progress line on stderr for exports and imports, shown only when stderr is a terminal,
//! so pipes, files and CI logs never see it.

use std::io::{IsTerminal, Write};

/// One line rewritten in place (`\r`), ended when the work ends.
pub struct Progress {
    on: bool,
    shown: bool,
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            on: std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    pub fn update(&mut self, text: &str) {
        if self.on {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K{text}");
            let _ = err.flush();
            self.shown = true;
        }
    }

    /// Ends the line, so what follows (a summary, an error) starts on its own.
    pub fn finish(&mut self) {
        if self.shown {
            eprintln!();
            self.shown = false;
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
