//! A progress bar on stderr, shown only when stderr is a terminal.

use std::io::{IsTerminal, Write};

pub struct Progress {
    total: u64,
    shown: u64,
    enabled: bool,
}

impl Progress {
    pub fn new(total: u64) -> Self {
        Progress {
            total: total.max(1),
            shown: u64::MAX,
            enabled: std::io::stderr().is_terminal(),
        }
    }

    pub fn update(&mut self, done: u64) {
        if !self.enabled {
            return;
        }
        let pct = done * 100 / self.total;
        if pct == self.shown {
            return;
        }
        self.shown = pct;
        let filled = (pct / 2) as usize;
        let mut e = std::io::stderr();
        let _ = write!(
            e,
            "\r[{}{}] {pct:3}%",
            "=".repeat(filled),
            " ".repeat(50 - filled)
        );
        let _ = e.flush();
    }

    pub fn finish(&mut self) {
        if self.enabled {
            eprintln!();
        }
    }
}
