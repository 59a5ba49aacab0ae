//! Small helpers the benchmarks share: settings from the environment, figures, and signing in
//! through the real form.
// Each benchmark is its own crate and uses a part of this module.
#![allow(dead_code)]

/// A setting from the environment, or its default when unset or unreadable.
pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// The value at fraction `p` (0.0–1.0) of the samples, nearest rank; NaN when there are none.
pub fn percentile(samples: &[f64], p: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The upper median (the middle sample of an odd count), NaN when there are none.
pub fn median(samples: &[f64]) -> f64 {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(f64::NAN)
}

/// 1234567 → "1,234,567".
pub fn thousands(n: impl std::fmt::Display) -> String {
    let text = n.to_string();
    let (sign, digits) = text.split_at(usize::from(text.starts_with('-')));
    let mut out = String::from(sign);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// The CSRF token of the first form on a page, or "" when there is none.
pub fn csrf(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    html.find(marker)
        .and_then(|i| html.get(i + marker.len()..i + marker.len() + 64))
        .map(str::to_string)
        .unwrap_or_default()
}

/// Signs in through the login form with `builder`'s settings plus a cookie store and no
/// redirects; panics when the sign-in is refused, since no figure would mean anything then.
pub async fn sign_in_with(
    builder: reqwest::ClientBuilder,
    base: &str,
    username: &str,
    password: &str,
) -> reqwest::Client {
    let client =
        builder.cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("an HTTP client");
    let page = client.get(format!("{base}/login")).send().await.expect("login page").text().await.expect("body");
    let response = client
        .post(format!("{base}/login"))
        .form(&[("username", username), ("password", password), ("csrf_token", csrf(&page).as_str())])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status().as_u16(), 303, "sign-in as {username} failed");
    client
}

/// The demo manager, signed in.
pub async fn sign_in_manager(base: &str) -> reqwest::Client {
    sign_in_with(reqwest::Client::builder(), base, "manager", "demo-manager-pass").await
}

/// The value of the `<option>` whose label starts with `label_start`, or "".
pub fn option_value(html: &str, label_start: &str) -> String {
    let needle = format!(">{label_start}");
    let Some(end) = html.find(&needle) else { return String::new() };
    let before = &html[..end];
    let start = before.rfind("value=\"").map(|i| i + 7).unwrap_or(0);
    before[start..].split('"').next().unwrap_or_default().to_string()
}

/// Drops a PostgreSQL database when it goes out of scope, even when the benchmark panics
/// (`std::mem::forget` it to keep the data).
pub struct DropDatabase {
    pub admin_url: String,
    pub name: String,
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        use diesel::RunQueryDsl;
        if let Ok(admin) = campaign_tracker::db::connect_pool(&self.admin_url, 1) {
            if let Ok(mut conn) = admin.get() {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut conn);
            }
        }
    }
}

/// The "save and dispatch" form of a one-line shipment, as a browser posts it: `quantity` of
/// `material` from `depot` to `destination`, confirming it repeats an earlier one.
pub fn dispatch_form<'a>(
    token: &'a str,
    key: &'a str,
    depot: &'a str,
    destination: &'a str,
    material: &'a str,
    quantity: &'a str,
) -> [(&'static str, &'a str); 9] {
    [
        ("csrf_token", token),
        ("submission_key", key),
        ("origin_id", depot),
        ("destination_id", destination),
        ("carrier", "bench"),
        ("line_material_0", material),
        ("line_quantity_0", quantity),
        ("action", "dispatch"),
        // The same shipment over and over, on purpose.
        ("confirm", "duplicate"),
    ]
}

/// The choices a one-line dispatch needs (POSTER, the central depot DEP-CCS, a hospital), after
/// a receipt that stocks the depot for every dispatch a run can make: (material, depot,
/// destination) as the forms' option values.
pub async fn stocked_dispatch_choices(client: &reqwest::Client, base: &str, token: &str) -> (String, String, String) {
    let page = |path: &'static str| async move {
        client.get(format!("{base}{path}")).send().await.expect("form").text().await.expect("body")
    };
    let form = page("/receipts/new?key=bench-receipt-form-key").await;
    let material = option_value(&form, "POSTER");
    let depot = option_value(&form, "DEP-CCS");
    let r = client
        .post(format!("{base}/receipts/new"))
        .form(&[
            ("csrf_token", token),
            ("submission_key", &format!("bench-receipt-{}", std::process::id())),
            ("material_id", &material),
            ("location_id", &depot),
            ("quantity", "1000000000"),
            ("confirm", "over_limit"),
            ("received_on", &chrono::Utc::now().date_naive().to_string()),
            ("supplier", "bench"),
            ("reference", "bench"),
        ])
        .send()
        .await
        .expect("receipt");
    assert_eq!(r.status().as_u16(), 303, "the stocking receipt failed");
    // A hospital among the destination's options (the picker's type filter above it also
    // offers "Hospitals", whose value is a type's id, not a place's).
    let form = page("/shipments/new?key=bench-shipment-form-key").await;
    let places = form.find("name=\"destination_id\"").map_or(form.as_str(), |at| &form[at..]);
    let destination = option_value(places, "Hospital");
    (material, depot, destination)
}
