//! The binary: parse flags, build the output handle, run, map the result to an exit code.

use clap::Parser;
use ghost_migrate::cli::Cli;
use ghost_migrate::output::Output;
use std::process::ExitCode;

// glibc's allocator kept 3x the live memory of a large rewrite (its mmap threshold grows with
// every large buffer freed, so later ones stay on fragmented heaps); mimalloc returns it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc asks Linux for transparent huge pages on its arenas; a 2 MiB page stays resident
/// while any of its bytes is live, so many threads with a little memory each held 5-10x the
/// live data (sync-images: 476 MB RSS for 18 MB of heap). Opt this process out of THP.
fn no_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag of this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    no_huge_pages();
    let cli = Cli::parse();
    let out = Output::new(cli.out.settings());
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            out.error(&format!("cannot start the async runtime: {e}"), None);
            return ExitCode::from(ghost_migrate::error::exit::FAILED);
        }
    };
    let code = rt.block_on(async {
        if cli.cmd.handles_interrupt() {
            return ghost_migrate::run(cli, &out).await;
        }
        tokio::select! {
            r = ghost_migrate::run(cli, &out) => r,
            _ = tokio::signal::ctrl_c() => {
                // Dropping the connection rolls back the open transaction on both engines.
                Err(ghost_migrate::error::Error::Interrupted)
            }
        }
    });
    match code {
        Ok(c) => ExitCode::from(c),
        Err(e) => {
            out.error(&e.to_string(), e.hint().as_deref());
            ExitCode::from(e.exit_code())
        }
    }
}
