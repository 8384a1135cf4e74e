//! The runner's `spin.toml` reader: any text is refused with an error or read, and a read
//! manifest's HTTP triggers build a route table.
#![no_main]

use app_manifest::manifest::Manifest;
use app_manifest::routes::Router;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let Ok(manifest) = Manifest::parse(text) else {
        return;
    };
    let Ok(triggers) = manifest.http_triggers() else {
        return;
    };
    let routes: Vec<(String, String)> = triggers
        .iter()
        .filter_map(|t| Some((t.component.clone(), t.route.clone()?)))
        .collect();
    let _ = Router::build(routes.iter().map(|(c, r)| (c.as_str(), r.as_str())));
});
