//! Who may do what: every route × anonymous and the four roles.

use crate::helpers::*;
use campaign_tracker::domain::Role;

both_backends!(role_route_matrix);

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Anonymous,
    Admin,
    Manager,
    Logistics,
    Viewer,
}

const ALL: &[Who] = &[Who::Admin, Who::Manager, Who::Logistics, Who::Viewer];
const ADMIN_ONLY: &[Who] = &[Who::Admin];
const AUDIT: &[Who] = &[Who::Admin, Who::Manager];
const STOCK: &[Who] = &[Who::Admin, Who::Logistics];
const PLAN: &[Who] = &[Who::Admin, Who::Manager];

struct Ids {
    campaign: i64,
    material: i64,
    location: i64,
    region: i64,
    location_type: i64,
    target_user: i64,
}

fn routes(ids: &Ids) -> Vec<(&'static str, String, &'static [Who])> {
    let c = ids.campaign;
    let m = ids.material;
    let l = ids.location;
    let r = ids.region;
    let t = ids.location_type;
    let u = ids.target_user;
    vec![
        ("GET", "/dashboard".into(), ALL),
        ("GET", "/report".into(), ALL),
        ("GET", "/stock".into(), ALL),
        ("GET", "/shipments".into(), ALL),
        ("GET", "/shipments/waybills".into(), ALL),
        ("GET", "/receipts".into(), ALL),
        ("GET", "/targets".into(), ALL),
        ("GET", "/airings".into(), ALL),
        ("GET", "/receipts/new".into(), STOCK),
        ("POST", "/receipts/new".into(), STOCK),
        ("GET", "/shipments/new".into(), STOCK),
        ("POST", "/shipments/new".into(), STOCK),
        ("GET", "/adjustments/new".into(), STOCK),
        ("POST", "/adjustments/new".into(), STOCK),
        ("GET", "/airings/new".into(), STOCK),
        ("POST", "/airings/new".into(), STOCK),
        ("GET", format!("/targets/edit?material={m}"), PLAN),
        ("GET", "/settings/lock-date".into(), ADMIN_ONLY),
        ("GET", "/campaigns".into(), ALL),
        ("GET", format!("/campaigns/{c}"), ALL),
        ("GET", "/campaigns/new".into(), ADMIN_ONLY),
        ("POST", "/campaigns/new".into(), ADMIN_ONLY),
        ("GET", format!("/campaigns/{c}/edit"), ADMIN_ONLY),
        ("POST", format!("/campaigns/{c}/edit"), ADMIN_ONLY),
        ("GET", format!("/materials?campaign={c}"), ALL),
        ("GET", format!("/materials/{m}"), ALL),
        ("GET", "/materials/new".into(), ADMIN_ONLY),
        ("POST", "/materials/new".into(), ADMIN_ONLY),
        ("GET", format!("/materials/{m}/edit"), ADMIN_ONLY),
        ("POST", format!("/materials/{m}/edit"), ADMIN_ONLY),
        ("GET", "/locations".into(), ALL),
        ("GET", format!("/locations?region={r}&type={t}&q=a&status=all&page=1"), ALL),
        ("GET", format!("/locations/{l}"), ALL),
        ("GET", "/locations/new".into(), ADMIN_ONLY),
        ("POST", "/locations/new".into(), ADMIN_ONLY),
        ("GET", format!("/locations/{l}/edit"), ADMIN_ONLY),
        ("POST", format!("/locations/{l}/edit"), ADMIN_ONLY),
        ("POST", format!("/locations/{l}/deactivate"), ADMIN_ONLY),
        ("POST", format!("/locations/{l}/activate"), ADMIN_ONLY),
        ("POST", format!("/locations/{l}/pin"), STOCK),
        ("GET", "/regions".into(), ALL),
        ("GET", "/regions/new".into(), ADMIN_ONLY),
        ("POST", "/regions/new".into(), ADMIN_ONLY),
        ("GET", format!("/regions/{r}/edit"), ADMIN_ONLY),
        ("POST", format!("/regions/{r}/edit"), ADMIN_ONLY),
        ("GET", "/location-types".into(), ALL),
        ("GET", "/location-types/new".into(), ADMIN_ONLY),
        ("POST", "/location-types/new".into(), ADMIN_ONLY),
        ("GET", format!("/location-types/{t}/edit"), ADMIN_ONLY),
        ("POST", format!("/location-types/{t}/edit"), ADMIN_ONLY),
        ("GET", "/users".into(), ADMIN_ONLY),
        ("GET", "/users/new".into(), ADMIN_ONLY),
        ("POST", "/users/new".into(), ADMIN_ONLY),
        ("GET", format!("/users/{u}/edit"), ADMIN_ONLY),
        ("POST", format!("/users/{u}/edit"), ADMIN_ONLY),
        ("POST", format!("/users/{u}/disable"), ADMIN_ONLY),
        ("POST", format!("/users/{u}/enable"), ADMIN_ONLY),
        ("POST", format!("/users/{u}/password"), ADMIN_ONLY),
        ("POST", format!("/users/{u}/end-sessions"), ADMIN_ONLY),
        ("GET", "/audit".into(), AUDIT),
        ("GET", "/audit?entity=campaign&page=1".into(), AUDIT),
    ]
}

async fn role_route_matrix(backend: Backend) {
    let app = spawn_demo_app(backend).await;
    let (target, _) = app.create_user(Role::Viewer);
    let ids = Ids {
        campaign: app.scalar("SELECT id FROM campaigns WHERE code = 'VE-TIP-2005'"),
        material: app.scalar("SELECT id FROM materials WHERE code = 'POSTER'"),
        location: app.scalar("SELECT MIN(id) FROM locations WHERE region_id IS NOT NULL"),
        region: app.scalar("SELECT MIN(id) FROM regions"),
        location_type: app.scalar("SELECT MIN(id) FROM location_types"),
        target_user: app.user_id(&target),
    };
    let counts_before: Vec<i64> = ["campaigns", "materials", "locations", "regions", "location_types", "users"]
        .iter()
        .map(|t| app.count(t))
        .collect();

    let identities = [
        (Who::Anonymous, None),
        (Who::Admin, Some(ADMIN)),
        (Who::Manager, Some(MANAGER)),
        (Who::Logistics, Some(LOGISTICS)),
        (Who::Viewer, Some(VIEWER)),
    ];
    let mut failures = Vec::new();
    for (who, credentials) in identities {
        let browser = match credentials {
            Some((user, password)) => app.signed_in(user, password).await,
            None => client(),
        };
        let token = app.csrf_token(&browser, "/").await;
        for (method, path, allowed) in routes(&ids) {
            let page = if method == "GET" {
                app.get(&browser, &path).await
            } else {
                app.post_raw(&browser, &path, &[], Some(&token), &[]).await
            };
            let location = page.location().unwrap_or_default();
            let to_login = page.status == 303 && (location == "/login" || location.starts_with("/login?"));
            let verdict = if who == Who::Anonymous {
                if !to_login {
                    Some("anonymous must get 303 to /login".to_string())
                } else if method == "GET" && query_param(&location, "next").as_deref() != Some(path.as_str()) {
                    Some(format!("anonymous redirect must carry next={path}"))
                } else {
                    None
                }
            } else if allowed.contains(&who) {
                let ok = if method == "GET" {
                    page.status == 200
                } else {
                    (page.status == 303 && !to_login) || page.status == 422
                };
                (!ok).then(|| "allowed, expected 200 (GET) or 303/422 (POST)".to_string())
            } else {
                (page.status != 403).then(|| "forbidden, expected 403".to_string())
            };
            if let Some(why) = verdict {
                failures.push(format!("{who:?} {method} {path} -> {} {location}: {why}", page.status));
            }
        }
    }
    assert!(failures.is_empty(), "role matrix failures:\n{}", failures.join("\n"));

    // The start page: managers and viewers land on the dashboard, the others on the home page.
    for (user, password, dashboard) in
        [ADMIN, MANAGER, LOGISTICS, VIEWER].iter().map(|(u, p)| (*u, *p, *u == MANAGER.0 || *u == VIEWER.0))
    {
        let browser = app.signed_in(user, password).await;
        let home = app.get(&browser, "/").await;
        if dashboard {
            assert_eq!(home.location().as_deref(), Some("/dashboard"), "{user}: {}", home.describe());
        } else {
            home.assert_status(200);
        }
    }

    // Empty POSTs create nothing.
    let counts_after: Vec<i64> = ["campaigns", "materials", "locations", "regions", "location_types", "users"]
        .iter()
        .map(|t| app.count(t))
        .collect();
    assert_eq!(counts_before, counts_after, "empty forms must not create rows");
    // The matrix ends with the target enabled again and every location active.
    assert_eq!(app.scalar("SELECT COUNT(*) FROM locations WHERE is_active = false"), 0);
}
