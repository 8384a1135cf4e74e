//! `POST /api/fingerprints/validate` and profile creation: any JSON either is refused by the
//! fingerprint's shape or gets a report; and every fingerprint generated from any seed, for
//! every template, is reported consistent (no errors).
#![no_main]

use libfuzzer_sys::fuzz_target;
use profiles::domain::fingerprint::{self, Fingerprint};

fuzz_target!(|data: &[u8]| {
    if let Ok(fp) = serde_json::from_slice::<Fingerprint>(data) {
        let report = fingerprint::validate(&fp);
        assert_eq!(report.valid, report.errors.is_empty());
    }
    let Ok(seed) = std::str::from_utf8(data) else {
        return;
    };
    let catalog = fingerprint::catalog().expect("templates parse");
    for template in &catalog.templates {
        let fp = fingerprint::generate(template, &catalog.locales, seed).expect("generates");
        let report = fingerprint::validate(&fp);
        assert!(
            report.errors.is_empty(),
            "template {} seed {seed:?}: {:?}",
            template.id,
            report.errors
        );
        assert_eq!(
            fingerprint::generate(template, &catalog.locales, seed).expect("generates"),
            fp,
            "the same seed gives the same fingerprint"
        );
    }
});
