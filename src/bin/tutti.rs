//! The `tutti` command-line tool.

#[path = "../cli/mod.rs"]
mod cli;

fn main() {
    // Die quietly on a closed pipe (`tutti demo | head`), as command-line tools do.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let argv: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(cli::run(&argv));
}
