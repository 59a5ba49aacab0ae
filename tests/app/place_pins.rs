//! A distribution point's confirmation PIN: made by logistics staff of the place's region or by
//! an admin, shown once on the place card, kept only as an argon2id hash, and replaced at will.

use crate::hardening::limit_to_region;
use crate::helpers::*;

both_backends!(a_pin_is_shown_once_and_kept_hashed, only_staff_of_the_region_make_a_pin);

/// An active distribution point in `region` and its id.
fn point_in(app: &TestApp, region: &str) -> i64 {
    app.scalar(&format!(
        "SELECT CAST(MIN(l.id) AS BIGINT) FROM locations l JOIN regions r ON r.id = l.region_id \
         WHERE l.is_depot = FALSE AND l.is_active = TRUE AND r.code = {}",
        lit(region)
    ))
}

fn pin_hash(app: &TestApp, id: i64) -> Option<String> {
    app.strings(&format!("SELECT COALESCE(confirm_pin_hash, '') AS s FROM locations WHERE id = {id}"))
        .pop()
        .filter(|h| !h.is_empty())
}

/// Posts the place's PIN form as its page offers it (token and one-time key from the page);
/// the answer and the key.
async fn make_pin(app: &TestApp, client: &reqwest::Client, id: i64) -> (Page, String) {
    let place = app.get(client, &format!("/locations/{id}")).await;
    place.assert_status(200);
    let key = place.input_value("submission_key").unwrap_or_else(|| panic!("no PIN form\n{}", place.describe()));
    let token = place.csrf().expect("a token");
    (app.post_raw(client, &format!("/locations/{id}/pin"), &[("submission_key", &key)], Some(&token), &[]).await, key)
}

fn shown_pin(card: &Page) -> String {
    let shown = card.text(".place-card .pin").unwrap_or_else(|| panic!("no PIN on the card\n{}", card.describe()));
    let digits: String = shown.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()), "PIN {shown:?}");
    digits
}

async fn a_pin_is_shown_once_and_kept_hashed(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let clerk = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    let id = point_in(&app, "VE-K");
    let place = app.get(&clerk, &format!("/locations/{id}")).await;
    assert!(collapse(&place.body).contains("none yet"), "{}", place.describe());
    assert_eq!(pin_hash(&app, id), None);

    let (card, key) = make_pin(&app, &clerk, id).await;
    card.assert_status(200);
    assert_eq!(card.header("cache-control").as_deref(), Some("no-store"), "the card must not be cached");
    let pin = shown_pin(&card);
    let hash = pin_hash(&app, id).expect("a stored hash");
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(&pin));
    assert!(campaign_tracker::accounts::verify_password(&pin, &hash), "the hash is of the PIN shown");
    let audit = app.strings(&format!(
        "SELECT action || ' ' || summary AS s FROM audit_log WHERE entity = 'location' AND entity_id = '{id}'"
    ));
    assert!(audit.iter().any(|a| a.starts_with("make_pin")), "{audit:?}");
    assert!(audit.iter().all(|a| !a.contains(&pin)), "the audit line names the PIN: {audit:?}");

    // The place's page says a PIN exists, never what it is.
    let place = app.get(&clerk, &format!("/locations/{id}")).await;
    assert!(collapse(&place.body).contains("made "), "{}", place.describe());
    assert!(!place.body.contains(&pin) && !place.body.contains(&format!("{} {}", &pin[..3], &pin[3..])));

    // The same form again (Back, reload) makes nothing and shows nothing.
    let token = place.csrf().expect("a token");
    let again =
        app.post_raw(&clerk, &format!("/locations/{id}/pin"), &[("submission_key", &key)], Some(&token), &[]).await;
    assert_eq!(again.assert_see_other(), format!("/locations/{id}"));
    assert_eq!(pin_hash(&app, id).as_deref(), Some(hash.as_str()), "a replayed form replaced the PIN");

    // A new PIN voids the old one.
    let (replaced, _) = make_pin(&app, &clerk, id).await;
    replaced.assert_status(200);
    let new_pin = shown_pin(&replaced);
    let new_hash = pin_hash(&app, id).expect("a stored hash");
    assert!(campaign_tracker::accounts::verify_password(&new_pin, &new_hash));
    assert!(new_pin == pin || !campaign_tracker::accounts::verify_password(&pin, &new_hash), "the old PIN still works");

    // In Spanish too.
    let es = app.get_with(&clerk, &format!("/locations/{id}"), &[("Accept-Language", "es")]).await;
    assert!(collapse(&es.body).contains("PIN de confirmación"), "{}", es.describe());
}

async fn only_staff_of_the_region_make_a_pin(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let lara = point_in(&app, "VE-K");
    let pin_path = format!("/locations/{lara}/pin");

    // Readers and managers see no form and are refused.
    for (user, password) in [VIEWER, MANAGER] {
        let c = app.signed_in(user, password).await;
        let place = app.get(&c, &format!("/locations/{lara}")).await;
        place.assert_status(200);
        assert!(place.input_value("submission_key").is_none(), "{user} is offered the PIN form");
        let token = place.csrf().expect("a token");
        let refused = app.post_raw(&c, &pin_path, &[("submission_key", &submission_key())], Some(&token), &[]).await;
        assert_eq!(refused.status, 403, "{user}\n{}", refused.describe());
    }

    // Logistics staff of another region: the place is not theirs to reach.
    let (clerk, password) = app.create_user(campaign_tracker::domain::Role::Logistics);
    limit_to_region(&app, &clerk, "VE-A");
    let c = app.signed_in(&clerk, &password).await;
    let place = app.get(&c, &format!("/locations/{lara}")).await;
    assert!(place.input_value("submission_key").is_none(), "another region's clerk is offered the PIN form");
    let token = place.csrf().expect("a token");
    let refused = app.post_raw(&c, &pin_path, &[("submission_key", &submission_key())], Some(&token), &[]).await;
    assert_eq!(refused.status, 404, "{}", refused.describe());
    // In their own region they may.
    let own = point_in(&app, "VE-A");
    make_pin(&app, &c, own).await.0.assert_status(200);
    assert!(pin_hash(&app, own).is_some());

    // Without the session's token nothing is made.
    let logistics = app.signed_in(LOGISTICS.0, LOGISTICS.1).await;
    let forged = app.post_raw(&logistics, &pin_path, &[("submission_key", &submission_key())], None, &[]).await;
    assert!(forged.status == 403 || forged.status == 400, "{}", forged.describe());

    // A depot and a place out of use have no PIN to make.
    let token = app.csrf_token(&logistics, &format!("/locations/{lara}")).await;
    let depot = app.scalar("SELECT CAST(id AS BIGINT) FROM locations WHERE code = 'DEP-CCS'");
    let refused = app
        .post_raw(
            &logistics,
            &format!("/locations/{depot}/pin"),
            &[("submission_key", &submission_key())],
            Some(&token),
            &[],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.describe());
    assert!(collapse(&refused.body).contains("Only a distribution point"), "{}", refused.describe());
    app.exec(&format!("UPDATE locations SET is_active = FALSE WHERE id = {lara}"));
    let refused =
        app.post_raw(&logistics, &pin_path, &[("submission_key", &submission_key())], Some(&token), &[]).await;
    assert_eq!(refused.status, 422, "{}", refused.describe());
    assert_eq!(pin_hash(&app, lara), None, "a refused request made a PIN");
    assert_eq!(pin_hash(&app, depot), None);
}
