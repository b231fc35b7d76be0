//! The `seimon` binary: a thin shell over the library's command line.

/// mimalloc, as Polars advises for its many threads (glibc's arenas fragment under them).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    seimon::cli::main()
}
