//! A real redis-server for tests, through the library's own
//! (`evictsim::validate::Target`): found on the usual paths, or the test is
//! skipped with a message when it is missing outside CI (in CI, where
//! `.ci/run` installs it, a missing server fails the test).

use evictsim::validate::Target;
use std::path::PathBuf;

/// Whether a missing redis-server must fail the test (in CI) rather than
/// skip it.
pub fn required() -> bool {
    std::env::var_os("CI").is_some()
}

/// Path of redis-server, if installed.
pub fn find_server() -> Option<PathBuf> {
    ["/usr/bin/redis-server", "/usr/local/bin/redis-server"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A target that starts a fresh redis-server, or `None` (having said
/// why) when it is not installed outside CI.
pub fn spawn_target() -> Option<Target> {
    let Some(bin) = find_server() else {
        assert!(
            !required(),
            "redis-server is not installed: .ci/run installs it (apt-get install -y redis-server)"
        );
        eprintln!("SKIPPED: redis-server not installed (apt-get install -y redis-server)");
        return None;
    };
    Some(Target::Spawn(bin))
}
