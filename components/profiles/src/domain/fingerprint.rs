//! Fingerprint templates, deterministic generation and the consistency
//! check. Pure Rust, no Spin imports, unit-tested natively.
//!
//! A profile stores its template id and a seed; [`generate`] turns the two
//! into the same fingerprint every time (SplitMix64 seeded with FNV-1a of
//! `template id NUL seed`), picking one value of each of the template's
//! lists. [`validate`] reports every inconsistency a detection script could
//! catch: user agent vs platform and vendor, WebGL vs OS, fonts vs OS,
//! screen vs device class, colour depth, device memory, touch points, and
//! (as a warning) language vs timezone region.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The data file of templates, compiled in.
pub const TEMPLATES_JSON: &str = include_str!("../../data/fingerprint-templates.json");

/// A screen size in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screen {
    pub width: u32,
    pub height: u32,
}

/// Unmasked WebGL vendor and renderer (`WEBGL_debug_renderer_info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webgl {
    pub vendor: String,
    pub renderer: String,
}

/// A language with the timezones of its region.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Locale {
    pub language: String,
    pub timezones: Vec<String>,
}

/// One template of the data file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    pub id: String,
    pub name: String,
    pub os: String,
    pub browser: String,
    pub device: String,
    pub user_agents: Vec<String>,
    pub platform: String,
    pub vendor: String,
    pub screens: Vec<Screen>,
    pub color_depths: Vec<u32>,
    /// `None` for browsers without `navigator.deviceMemory` (Firefox, Safari).
    pub device_memory: Option<Vec<u32>>,
    pub hardware_concurrency: Vec<u32>,
    pub max_touch_points: u32,
    pub fonts: Vec<String>,
    pub optional_fonts: Vec<String>,
    pub webgl: Vec<Webgl>,
}

#[derive(Debug, Deserialize)]
struct TemplateFile {
    locales: Vec<Locale>,
    templates: Vec<Template>,
}

/// The parsed data file.
pub struct Catalog {
    pub locales: Vec<Locale>,
    pub templates: Vec<Template>,
}

impl Catalog {
    pub fn template(&self, id: &str) -> Option<&Template> {
        self.templates.iter().find(|t| t.id == id)
    }
}

/// The templates, parsed once per instance. The file is part of the build
/// and a unit test parses it, so a parse failure here is a build defect.
pub fn catalog() -> Result<&'static Catalog, String> {
    static CATALOG: OnceLock<Result<Catalog, String>> = OnceLock::new();
    CATALOG
        .get_or_init(|| {
            serde_json::from_str::<TemplateFile>(TEMPLATES_JSON)
                .map(|f| Catalog {
                    locales: f.locales,
                    templates: f.templates,
                })
                .map_err(|e| format!("fingerprint templates: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// A generated fingerprint: what the desktop client makes the browser report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fingerprint {
    #[serde(default)]
    pub template_id: Option<String>,
    pub user_agent: String,
    pub platform: String,
    pub vendor: String,
    pub screen: Screen,
    pub color_depth: u32,
    /// GiB as `navigator.deviceMemory` reports it; `null` where the browser
    /// has no such API.
    pub device_memory: Option<u32>,
    pub hardware_concurrency: u32,
    #[serde(default)]
    pub max_touch_points: u32,
    pub fonts: Vec<String>,
    pub webgl: Webgl,
    pub language: String,
    #[serde(default)]
    pub languages: Vec<String>,
    pub timezone: String,
}

/// SplitMix64: small, fast, and the same on every platform.
struct Rng(u64);

impl Rng {
    fn new(template_id: &str, seed: &str) -> Self {
        // FNV-1a 64 of "template NUL seed".
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in template_id.bytes().chain([0]).chain(seed.bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        Self(h)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            return 0;
        }
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        let i = self.below(items.len());
        items.get(i)
    }
}

/// `["de-DE", "de"]`: navigator.languages for a language.
pub fn languages_for(language: &str) -> Vec<String> {
    let mut list = vec![language.to_owned()];
    if let Some((primary, _)) = language.split_once('-') {
        list.push(primary.to_owned());
    }
    list
}

/// Generates the fingerprint of `template` for `seed`: the same inputs give
/// the same fingerprint, on every machine and in every version that keeps
/// the template's lists unchanged.
pub fn generate(
    template: &Template,
    locales: &[Locale],
    seed: &str,
) -> Result<Fingerprint, String> {
    let missing = |what: &str| format!("template {} has no {what}", template.id);
    let mut rng = Rng::new(&template.id, seed);
    let user_agent = rng
        .pick(&template.user_agents)
        .ok_or_else(|| missing("user agents"))?
        .clone();
    let screen = *rng
        .pick(&template.screens)
        .ok_or_else(|| missing("screens"))?;
    let color_depth = *rng
        .pick(&template.color_depths)
        .ok_or_else(|| missing("colour depths"))?;
    let device_memory = match &template.device_memory {
        Some(values) => Some(*rng.pick(values).ok_or_else(|| missing("device memory"))?),
        None => None,
    };
    let hardware_concurrency = *rng
        .pick(&template.hardware_concurrency)
        .ok_or_else(|| missing("hardware concurrency"))?;
    let webgl = rng
        .pick(&template.webgl)
        .ok_or_else(|| missing("WebGL renderers"))?
        .clone();
    let locale = rng.pick(locales).ok_or_else(|| missing("locales"))?;
    let timezone = rng
        .pick(&locale.timezones)
        .ok_or_else(|| missing("timezones"))?
        .clone();
    let mut fonts = template.fonts.clone();
    for font in &template.optional_fonts {
        if rng.next() & 1 == 1 {
            fonts.push(font.clone());
        }
    }
    fonts.sort();
    Ok(Fingerprint {
        template_id: Some(template.id.clone()),
        user_agent,
        platform: template.platform.clone(),
        vendor: template.vendor.clone(),
        screen,
        color_depth,
        device_memory,
        hardware_concurrency,
        max_touch_points: template.max_touch_points,
        fonts,
        webgl,
        languages: languages_for(&locale.language),
        language: locale.language.clone(),
        timezone,
    })
}

// ------------------------------------------------------------- validation

/// One inconsistency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Stable machine-readable kind: `ua_platform`, `webgl_os`, ...
    pub code: &'static str,
    /// The field it concerns.
    pub field: &'static str,
    pub message: String,
}

/// What [`validate`] found: errors make a fingerprint detectable; warnings
/// are unusual but possible (a traveller's timezone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub valid: bool,
    pub errors: Vec<Issue>,
    pub warnings: Vec<Issue>,
}

/// Operating-system family, as the user agent names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Windows,
    MacOs,
    Linux,
    Android,
    Ios,
}

impl Os {
    pub fn name(self) -> &'static str {
        match self {
            Os::Windows => "Windows",
            Os::MacOs => "macOS",
            Os::Linux => "Linux",
            Os::Android => "Android",
            Os::Ios => "iOS",
        }
    }
    fn is_mobile(self) -> bool {
        matches!(self, Os::Android | Os::Ios)
    }
    fn is_apple(self) -> bool {
        matches!(self, Os::MacOs | Os::Ios)
    }
}

/// Browser engine family, as the user agent names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    Chrome,
    Edge,
    Firefox,
    Safari,
}

impl Browser {
    pub fn name(self) -> &'static str {
        match self {
            Browser::Chrome => "Chrome",
            Browser::Edge => "Edge",
            Browser::Firefox => "Firefox",
            Browser::Safari => "Safari",
        }
    }
    fn is_chromium(self) -> bool {
        matches!(self, Browser::Chrome | Browser::Edge)
    }
}

/// The OS a user agent claims.
pub fn ua_os(ua: &str) -> Option<Os> {
    if ua.contains("iPhone") || ua.contains("iPad") {
        Some(Os::Ios)
    } else if ua.contains("Android") {
        Some(Os::Android)
    } else if ua.contains("Windows NT") {
        Some(Os::Windows)
    } else if ua.contains("Macintosh") {
        Some(Os::MacOs)
    } else if ua.contains("Linux") || ua.contains("X11") {
        Some(Os::Linux)
    } else {
        None
    }
}

/// The browser a user agent claims.
pub fn ua_browser(ua: &str) -> Option<Browser> {
    if ua.contains("Edg/") || ua.contains("EdgA/") || ua.contains("EdgiOS/") {
        Some(Browser::Edge)
    } else if ua.contains("Firefox/") || ua.contains("FxiOS/") {
        Some(Browser::Firefox)
    } else if ua.contains("Chrome/") || ua.contains("CriOS/") {
        Some(Browser::Chrome)
    } else if ua.contains("Safari/") && ua.contains("Version/") {
        Some(Browser::Safari)
    } else {
        None
    }
}

/// The platform family a WebGL renderer betrays, when it betrays one.
fn renderer_family(renderer: &str) -> Option<&'static str> {
    const MOBILE: &[&str] = &["Adreno", "Mali-", "PowerVR", "Xclipse", "Immortalis"];
    const WINDOWS: &[&str] = &["Direct3D", "D3D11", "D3D9"];
    const APPLE: &[&str] = &["Metal Renderer", "Apple GPU", "Apple M"];
    const LINUX: &[&str] = &["Mesa", "radeonsi", "OpenGL 4", "/PCIe/SSE2", "llvmpipe"];
    let has = |markers: &[&str]| markers.iter().any(|m| renderer.contains(m));
    if has(MOBILE) {
        Some("mobile")
    } else if has(WINDOWS) {
        Some("windows")
    } else if has(APPLE) {
        Some("apple")
    } else if has(LINUX) {
        Some("linux")
    } else {
        None
    }
}

fn os_family(os: Os) -> &'static str {
    match os {
        Os::Windows => "windows",
        Os::MacOs | Os::Ios => "apple",
        Os::Linux => "linux",
        Os::Android => "mobile",
    }
}

/// Fonts that exist only on some OS families: (font, families).
const OS_FONTS: &[(&str, &[&str])] = &[
    ("Segoe UI", &["windows"]),
    ("Segoe UI Emoji", &["windows"]),
    ("Segoe UI Symbol", &["windows"]),
    ("Calibri", &["windows"]),
    ("Cambria", &["windows"]),
    ("Consolas", &["windows"]),
    ("Candara", &["windows"]),
    ("Corbel", &["windows"]),
    ("Constantia", &["windows"]),
    ("Tahoma", &["windows"]),
    ("Microsoft Sans Serif", &["windows"]),
    ("Microsoft YaHei", &["windows"]),
    ("MS Gothic", &["windows"]),
    ("SimSun", &["windows"]),
    ("Bahnschrift", &["windows"]),
    ("Ebrima", &["windows"]),
    ("Gadugi", &["windows"]),
    ("Nirmala UI", &["windows"]),
    ("Malgun Gothic", &["windows"]),
    ("Helvetica Neue", &["apple"]),
    ("Menlo", &["apple"]),
    ("Monaco", &["apple"]),
    ("Lucida Grande", &["apple"]),
    ("Geneva", &["apple"]),
    ("Apple Color Emoji", &["apple"]),
    ("Apple SD Gothic Neo", &["apple"]),
    ("Hiragino Sans", &["apple"]),
    ("PingFang SC", &["apple"]),
    ("Avenir", &["apple"]),
    ("Avenir Next", &["apple"]),
    ("Chalkboard", &["apple"]),
    ("Hoefler Text", &["apple"]),
    ("DejaVu Sans", &["linux"]),
    ("DejaVu Sans Mono", &["linux"]),
    ("DejaVu Serif", &["linux"]),
    ("Liberation Sans", &["linux"]),
    ("Liberation Serif", &["linux"]),
    ("Liberation Mono", &["linux"]),
    ("Ubuntu", &["linux"]),
    ("Ubuntu Mono", &["linux"]),
    ("Cantarell", &["linux"]),
    ("Noto Sans", &["linux", "mobile"]),
    ("Noto Serif", &["linux", "mobile"]),
    ("Noto Color Emoji", &["linux", "mobile"]),
    ("Roboto", &["mobile"]),
    ("Droid Sans Mono", &["mobile"]),
    ("Cutive Mono", &["mobile"]),
    ("Coming Soon", &["mobile"]),
    ("Carrois Gothic SC", &["mobile"]),
];

/// Countries of the timezones the templates use, and of common others.
const TIMEZONE_COUNTRIES: &[(&str, &str)] = &[
    ("America/New_York", "US"),
    ("America/Chicago", "US"),
    ("America/Denver", "US"),
    ("America/Los_Angeles", "US"),
    ("America/Phoenix", "US"),
    ("America/Anchorage", "US"),
    ("Pacific/Honolulu", "US"),
    ("America/Toronto", "CA"),
    ("America/Vancouver", "CA"),
    ("America/Mexico_City", "MX"),
    ("America/Sao_Paulo", "BR"),
    ("America/Argentina/Buenos_Aires", "AR"),
    ("America/Bogota", "CO"),
    ("Europe/London", "GB"),
    ("Europe/Dublin", "IE"),
    ("Europe/Lisbon", "PT"),
    ("Europe/Madrid", "ES"),
    ("Europe/Paris", "FR"),
    ("Europe/Brussels", "BE"),
    ("Europe/Amsterdam", "NL"),
    ("Europe/Berlin", "DE"),
    ("Europe/Zurich", "CH"),
    ("Europe/Vienna", "AT"),
    ("Europe/Rome", "IT"),
    ("Europe/Stockholm", "SE"),
    ("Europe/Oslo", "NO"),
    ("Europe/Copenhagen", "DK"),
    ("Europe/Helsinki", "FI"),
    ("Europe/Warsaw", "PL"),
    ("Europe/Prague", "CZ"),
    ("Europe/Athens", "GR"),
    ("Europe/Bucharest", "RO"),
    ("Europe/Kyiv", "UA"),
    ("Europe/Istanbul", "TR"),
    ("Europe/Moscow", "RU"),
    ("Asia/Dubai", "AE"),
    ("Asia/Kolkata", "IN"),
    ("Asia/Singapore", "SG"),
    ("Asia/Hong_Kong", "HK"),
    ("Asia/Shanghai", "CN"),
    ("Asia/Taipei", "TW"),
    ("Asia/Seoul", "KR"),
    ("Asia/Tokyo", "JP"),
    ("Asia/Jakarta", "ID"),
    ("Asia/Bangkok", "TH"),
    ("Australia/Sydney", "AU"),
    ("Australia/Melbourne", "AU"),
    ("Australia/Perth", "AU"),
    ("Pacific/Auckland", "NZ"),
    ("Africa/Johannesburg", "ZA"),
    ("Africa/Cairo", "EG"),
    ("Africa/Lagos", "NG"),
];

/// The country of a timezone we know.
pub fn timezone_country(tz: &str) -> Option<&'static str> {
    TIMEZONE_COUNTRIES
        .iter()
        .find(|(zone, _)| *zone == tz)
        .map(|(_, country)| *country)
}

/// An IANA timezone name (`Area/City`, `Area/Sub/City`) or `UTC`.
pub fn is_timezone(tz: &str) -> bool {
    const AREAS: &[&str] = &[
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ];
    if tz == "UTC" {
        return true;
    }
    let mut parts = tz.split('/');
    let area_ok = parts.next().is_some_and(|a| AREAS.contains(&a));
    let rest: Vec<&str> = parts.collect();
    area_ok
        && !rest.is_empty()
        && tz.len() <= 64
        && rest.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+'))
        })
}

/// A BCP 47 language tag of the shape browsers report: `en`, `en-US`,
/// `zh-Hans-CN`, `es-419`.
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_lowercase()));
    let rest: Vec<&str> = parts.collect();
    primary_ok
        && rest.len() <= 2
        && rest.iter().enumerate().all(|(i, p)| {
            let script = p.len() == 4
                && p.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
                && p.bytes().skip(1).all(|b| b.is_ascii_lowercase());
            let region = (p.len() == 2 && p.bytes().all(|b| b.is_ascii_uppercase()))
                || (p.len() == 3 && p.bytes().all(|b| b.is_ascii_digit()));
            (i == 0 && (script || region)) || (i == 1 && region)
        })
}

/// The region subtag of a language tag (`US` of `en-US`).
fn language_region(tag: &str) -> Option<&str> {
    tag.split('-')
        .skip(1)
        .find(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_uppercase()))
}

/// Every inconsistency of `fp`.
pub fn validate(fp: &Fingerprint) -> Report {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut error = |code, field, message: String| {
        errors.push(Issue {
            code,
            field,
            message,
        })
    };

    let os = ua_os(&fp.user_agent);
    let browser = ua_browser(&fp.user_agent);
    if os.is_none() {
        error(
            "ua_os_unknown",
            "userAgent",
            "The user agent names no known operating system".into(),
        );
    }
    if browser.is_none() {
        error(
            "ua_browser_unknown",
            "userAgent",
            "The user agent names no known browser".into(),
        );
    }

    // UA vs platform.
    if let Some(os) = os {
        let ok = match os {
            Os::Windows => fp.platform == "Win32",
            Os::MacOs => fp.platform == "MacIntel",
            Os::Linux => fp.platform.starts_with("Linux x86_64") || fp.platform == "Linux i686",
            Os::Android => {
                fp.platform.starts_with("Linux arm") || fp.platform.starts_with("Linux aarch64")
            }
            Os::Ios => matches!(fp.platform.as_str(), "iPhone" | "iPad"),
        };
        if !ok {
            error(
                "ua_platform",
                "platform",
                format!(
                    "A {} user agent does not run on platform {:?}",
                    os.name(),
                    fp.platform
                ),
            );
        }
    }

    // UA vs vendor.
    if let Some(browser) = browser {
        let expected = match browser {
            Browser::Chrome | Browser::Edge => "Google Inc.",
            Browser::Safari => "Apple Computer, Inc.",
            Browser::Firefox => "",
        };
        // Every iOS browser is WebKit and reports Apple's vendor.
        let expected = if os == Some(Os::Ios) {
            "Apple Computer, Inc."
        } else {
            expected
        };
        if fp.vendor != expected {
            error(
                "ua_vendor",
                "vendor",
                format!(
                    "{} reports vendor {expected:?}, not {:?}",
                    browser.name(),
                    fp.vendor
                ),
            );
        }
        if browser == Browser::Safari && os.is_some_and(|o| !o.is_apple()) {
            error(
                "ua_browser_os",
                "userAgent",
                "Safari only runs on macOS and iOS".into(),
            );
        }
        // Device memory exists in Chromium only, and is capped at 8.
        match (
            browser.is_chromium() && os != Some(Os::Ios),
            fp.device_memory,
        ) {
            (true, None) => error(
                "device_memory",
                "deviceMemory",
                format!("{} reports navigator.deviceMemory", browser.name()),
            ),
            (true, Some(m)) if ![1, 2, 4, 8].contains(&m) => error(
                "device_memory",
                "deviceMemory",
                format!("navigator.deviceMemory is 1, 2, 4 or 8, not {m}"),
            ),
            (false, Some(_)) => error(
                "device_memory",
                "deviceMemory",
                format!("{} has no navigator.deviceMemory", browser.name()),
            ),
            _ => {}
        }
    }

    // WebGL vs OS, and vendor vs renderer.
    if let Some(os) = os {
        match renderer_family(&fp.webgl.renderer) {
            Some(family) if family != os_family(os) => error(
                "webgl_os",
                "webgl.renderer",
                format!(
                    "WebGL renderer {:?} is not one {} reports",
                    fp.webgl.renderer,
                    os.name()
                ),
            ),
            None if os.is_mobile() => error(
                "webgl_os",
                "webgl.renderer",
                format!(
                    "WebGL renderer {:?} is not a {} GPU",
                    fp.webgl.renderer,
                    os.name()
                ),
            ),
            _ => {}
        }
    }
    if let Some(gpu) = fp
        .webgl
        .vendor
        .strip_prefix("Google Inc. (")
        .and_then(|v| v.strip_suffix(')'))
        && !fp.webgl.renderer.starts_with(&format!("ANGLE ({gpu},"))
    {
        error(
            "webgl_vendor_renderer",
            "webgl.vendor",
            format!(
                "WebGL vendor {:?} comes with an ANGLE ({gpu}, …) renderer",
                fp.webgl.vendor
            ),
        );
    }

    // Fonts vs OS.
    if fp.fonts.is_empty() {
        error("fonts_empty", "fonts", "A browser always has fonts".into());
    }
    if let Some(os) = os {
        let family = os_family(os);
        for font in &fp.fonts {
            if let Some((_, families)) = OS_FONTS.iter().find(|(f, _)| f == font)
                && !families.contains(&family)
            {
                error(
                    "fonts_os",
                    "fonts",
                    format!("Font {font:?} does not ship with {}", os.name()),
                );
            }
        }
    }

    // Screen vs device class.
    let Screen { width, height } = fp.screen;
    if width == 0 || height == 0 {
        error("screen_size", "screen", "A screen has a size".into());
    } else if let Some(os) = os {
        if os.is_mobile() && (width >= 768 || height <= width) {
            error(
                "screen_device",
                "screen",
                format!("{width}x{height} is not a phone screen in portrait"),
            );
        }
        if !os.is_mobile() && (width < 1024 || height < 600) {
            error(
                "screen_device",
                "screen",
                format!("{width}x{height} is too small for a {} desktop", os.name()),
            );
        }
    }
    if ![24, 30].contains(&fp.color_depth) || (fp.color_depth == 30 && os != Some(Os::MacOs)) {
        error(
            "color_depth",
            "colorDepth",
            format!(
                "Colour depth {} is not reported on this platform",
                fp.color_depth
            ),
        );
    }
    if !(1..=128).contains(&fp.hardware_concurrency) {
        error(
            "hardware_concurrency",
            "hardwareConcurrency",
            format!("{} logical processors", fp.hardware_concurrency),
        );
    }
    if let Some(os) = os {
        if os.is_mobile() && fp.max_touch_points == 0 {
            error(
                "touch_points",
                "maxTouchPoints",
                format!("A {} phone has a touch screen", os.name()),
            );
        }
        if os == Os::MacOs && fp.max_touch_points != 0 {
            error(
                "touch_points",
                "maxTouchPoints",
                "Macs have no touch screen".into(),
            );
        }
    }

    // Language and timezone.
    if !is_language_tag(&fp.language) {
        error(
            "language",
            "language",
            format!("{:?} is not a language tag", fp.language),
        );
    }
    if !fp.languages.is_empty() && fp.languages.first() != Some(&fp.language) {
        error(
            "languages",
            "languages",
            "navigator.languages starts with navigator.language".into(),
        );
    }
    if !is_timezone(&fp.timezone) {
        error(
            "timezone",
            "timezone",
            format!("{:?} is not an IANA timezone", fp.timezone),
        );
    } else if let (Some(region), Some(country)) = (
        language_region(&fp.language),
        timezone_country(&fp.timezone),
    ) && region != country
    {
        warnings.push(Issue {
            code: "language_timezone",
            field: "timezone",
            message: format!(
                "Language {} is of region {region}, timezone {} is in {country}",
                fp.language, fp.timezone
            ),
        });
    }

    Report {
        valid: errors.is_empty(),
        errors,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> &'static Catalog {
        super::catalog().expect("templates parse")
    }

    fn sample(template: &str, seed: &str) -> Fingerprint {
        let c = catalog();
        generate(c.template(template).expect("template"), &c.locales, seed).expect("generates")
    }

    fn codes(r: &Report) -> Vec<&'static str> {
        r.errors.iter().map(|i| i.code).collect()
    }

    #[test]
    fn there_are_at_least_eight_templates_covering_the_os_and_browser_matrix() {
        let c = catalog();
        assert!(c.templates.len() >= 8);
        for (os, browser) in [
            ("windows", "chrome"),
            ("windows", "edge"),
            ("windows", "firefox"),
            ("macos", "chrome"),
            ("macos", "safari"),
            ("macos", "firefox"),
            ("linux", "chrome"),
            ("linux", "firefox"),
        ] {
            assert!(
                c.templates
                    .iter()
                    .any(|t| t.os == os && t.browser == browser),
                "{os} {browser}"
            );
        }
        assert!(c.templates.iter().any(|t| t.device == "mobile"));
        let mut ids: Vec<&str> = c.templates.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), c.templates.len(), "template ids are unique");
    }

    #[test]
    fn user_agents_are_of_browsers_released_in_2026() {
        for t in &catalog().templates {
            for ua in &t.user_agents {
                let version = |marker: &str| {
                    ua.split(marker)
                        .nth(1)
                        .and_then(|v| v.split(['.', ' ']).next())
                        .and_then(|v| v.parse::<u32>().ok())
                };
                match t.browser.as_str() {
                    "chrome" | "edge" => {
                        assert!(version("Chrome/").is_some_and(|v| v >= 144), "{ua}")
                    }
                    "firefox" => assert!(version("Firefox/").is_some_and(|v| v >= 147), "{ua}"),
                    "safari" => assert!(version("Version/").is_some_and(|v| v >= 26), "{ua}"),
                    other => panic!("unknown browser {other}"),
                }
            }
        }
    }

    #[test]
    fn generation_is_deterministic_for_a_seed() {
        for t in &catalog().templates {
            let a = sample(&t.id, "seed-42");
            let b = sample(&t.id, "seed-42");
            assert_eq!(a, b, "{}", t.id);
        }
    }

    #[test]
    fn different_seeds_give_different_fingerprints() {
        let distinct: std::collections::HashSet<String> = (0..50)
            .map(|i| {
                serde_json::to_string(&sample("windows-chrome", &format!("s{i}"))).expect("json")
            })
            .collect();
        assert!(distinct.len() > 40, "{}", distinct.len());
    }

    #[test]
    fn the_seed_and_template_fix_the_values_across_versions() {
        // A stored profile must keep its fingerprint: pin one generation.
        let fp = sample("windows-chrome", "pinned");
        let again = sample("windows-chrome", "pinned");
        assert_eq!(fp.user_agent, again.user_agent);
        assert!(
            fp.user_agent
                .starts_with("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
        );
        assert_eq!(fp.platform, "Win32");
        assert_eq!(fp.template_id.as_deref(), Some("windows-chrome"));
    }

    #[test]
    fn every_template_generates_fingerprints_that_validate_clean() {
        for t in &catalog().templates {
            for i in 0..200 {
                let fp = sample(&t.id, &format!("seed-{i}"));
                let report = validate(&fp);
                assert!(
                    report.valid && report.warnings.is_empty(),
                    "{} seed-{i}: {:?} {:?}",
                    t.id,
                    report.errors,
                    report.warnings
                );
            }
        }
    }

    #[test]
    fn a_windows_user_agent_on_a_mac_platform_is_reported() {
        let mut fp = sample("windows-chrome", "x");
        fp.platform = "MacIntel".into();
        assert_eq!(codes(&validate(&fp)), vec!["ua_platform"]);
    }

    #[test]
    fn a_chrome_user_agent_with_apples_vendor_is_reported() {
        let mut fp = sample("linux-chrome", "x");
        fp.vendor = "Apple Computer, Inc.".into();
        assert_eq!(codes(&validate(&fp)), vec!["ua_vendor"]);
        let mut fp = sample("macos-safari", "x");
        fp.vendor = "Google Inc.".into();
        assert_eq!(codes(&validate(&fp)), vec!["ua_vendor"]);
        let mut fp = sample("windows-firefox", "x");
        fp.vendor = "Google Inc.".into();
        assert_eq!(codes(&validate(&fp)), vec!["ua_vendor"]);
    }

    #[test]
    fn a_direct3d_renderer_on_macos_is_reported() {
        let mut fp = sample("macos-chrome", "x");
        fp.webgl = Webgl {
            vendor: "Google Inc. (NVIDIA)".into(),
            renderer: "ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 (0x00002504) Direct3D11 vs_5_0 ps_5_0, D3D11)".into(),
        };
        assert_eq!(codes(&validate(&fp)), vec!["webgl_os"]);
    }

    #[test]
    fn a_desktop_gpu_on_a_phone_is_reported() {
        let mut fp = sample("android-chrome", "x");
        fp.webgl = Webgl {
            vendor: "NVIDIA Corporation".into(),
            renderer: "NVIDIA GeForce RTX 4090".into(),
        };
        assert_eq!(codes(&validate(&fp)), vec!["webgl_os"]);
    }

    #[test]
    fn an_angle_vendor_that_does_not_match_its_renderer_is_reported() {
        let mut fp = sample("windows-chrome", "x");
        fp.webgl.vendor = "Google Inc. (Apple)".into();
        assert!(codes(&validate(&fp)).contains(&"webgl_vendor_renderer"));
    }

    #[test]
    fn fonts_of_another_os_are_reported() {
        let mut fp = sample("linux-firefox", "x");
        fp.fonts.push("Segoe UI".into());
        fp.fonts.push("Helvetica Neue".into());
        let report = validate(&fp);
        assert_eq!(codes(&report), vec!["fonts_os", "fonts_os"]);
        assert!(report.errors[0].message.contains("Segoe UI"));
        let mut fp = sample("windows-edge", "x");
        fp.fonts.clear();
        assert_eq!(codes(&validate(&fp)), vec!["fonts_empty"]);
    }

    #[test]
    fn a_desktop_screen_on_a_phone_and_a_phone_screen_on_a_desktop_are_reported() {
        let mut fp = sample("ios-safari", "x");
        fp.screen = Screen {
            width: 1920,
            height: 1080,
        };
        assert_eq!(codes(&validate(&fp)), vec!["screen_device"]);
        let mut fp = sample("windows-chrome", "x");
        fp.screen = Screen {
            width: 390,
            height: 844,
        };
        assert_eq!(codes(&validate(&fp)), vec!["screen_device"]);
    }

    #[test]
    fn device_memory_outside_chromium_is_reported() {
        let mut fp = sample("macos-firefox", "x");
        fp.device_memory = Some(8);
        assert_eq!(codes(&validate(&fp)), vec!["device_memory"]);
        let mut fp = sample("windows-chrome", "x");
        fp.device_memory = Some(32);
        assert_eq!(codes(&validate(&fp)), vec!["device_memory"]);
    }

    #[test]
    fn a_language_of_another_region_than_the_timezone_is_a_warning() {
        let mut fp = sample("windows-chrome", "x");
        fp.language = "en-US".into();
        fp.languages = languages_for("en-US");
        fp.timezone = "Europe/Berlin".into();
        let report = validate(&fp);
        assert!(report.valid, "{:?}", report.errors);
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(report.warnings[0].code, "language_timezone");
    }

    #[test]
    fn malformed_language_and_timezone_are_errors() {
        let mut fp = sample("windows-chrome", "x");
        fp.language = "english".into();
        fp.languages = vec![];
        fp.timezone = "Mars/Olympus".into();
        assert_eq!(codes(&validate(&fp)), vec!["language", "timezone"]);
    }

    #[test]
    fn language_tags_and_timezones_are_recognised() {
        for ok in ["en", "en-US", "zh-Hans-CN", "es-419", "fil"] {
            assert!(is_language_tag(ok), "{ok}");
        }
        for bad in ["", "EN", "en_US", "en-us", "english", "en-US-x-y"] {
            assert!(!is_language_tag(bad), "{bad}");
        }
        for ok in [
            "UTC",
            "Europe/Berlin",
            "America/Argentina/Buenos_Aires",
            "Etc",
        ] {
            assert_eq!(is_timezone(ok), ok != "Etc", "{ok}");
        }
        assert!(!is_timezone("Europe/"));
        assert!(!is_timezone("Europe/Ber lin"));
    }

    #[test]
    fn every_template_timezone_has_a_known_country() {
        for locale in &catalog().locales {
            for tz in &locale.timezones {
                assert!(timezone_country(tz).is_some(), "{tz}");
            }
        }
    }
}
