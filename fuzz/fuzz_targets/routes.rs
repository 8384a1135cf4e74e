//! The runner's route table: any routes build a table or are refused, and matching any path
//! against it answers a component with a path info and captures taken from that path.
#![no_main]

use app_manifest::routes::Router;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Vec<(u8, String)>, Vec<String>)| {
    let (raw_routes, paths) = input;
    let routes: Vec<(String, String)> = raw_routes
        .into_iter()
        .take(16)
        .map(|(c, r)| (format!("c{}", c % 4), r))
        .collect();
    let Ok((router, _)) = Router::build(routes.iter().map(|(c, r)| (c.as_str(), r.as_str())))
    else {
        return;
    };
    for path in paths.iter().take(16) {
        if let Some(m) = router.route(path) {
            assert!(m.component().starts_with('c'));
            let info = m.path_info();
            assert!(
                info.is_empty() || info == "/" || path.contains(info.trim_matches('/')),
                "path info {info:?} is not part of {path:?}"
            );
            for (_, value) in m.named() {
                assert!(
                    path.contains(value.as_str()),
                    "capture {value:?} not in {path:?}"
                );
            }
        }
    }
});
