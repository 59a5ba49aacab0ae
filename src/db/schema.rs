//! Diesel table definitions: the subset of types both SQLite and PostgreSQL share.

diesel::table! {
    app_settings (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    regions (id) {
        id -> Integer,
        code -> Text,
        name -> Text,
        tile_col -> Nullable<Integer>,
        tile_row -> Nullable<Integer>,
        is_abroad -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    location_types (id) {
        id -> Integer,
        code -> Text,
        name_en -> Text,
        name_es -> Text,
        is_depot -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        username -> Text,
        display_name -> Text,
        password_hash -> Text,
        role -> Text,
        is_active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    user_regions (user_id, region_id) {
        user_id -> Integer,
        region_id -> Integer,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Integer,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        ip -> Text,
    }
}

diesel::table! {
    login_throttles (key) {
        key -> Text,
        failures -> Integer,
        last_failure_at -> Timestamp,
    }
}

diesel::table! {
    pending_forms (id) {
        id -> Text,
        owner -> Text,
        path -> Text,
        body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    campaigns (id) {
        id -> Integer,
        code -> Text,
        name -> Text,
        owner -> Text,
        description -> Text,
        starts_on -> Date,
        ends_on -> Date,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    materials (id) {
        id -> Integer,
        campaign_id -> Integer,
        code -> Text,
        name -> Text,
        kind -> Text,
        planned_quantity -> Integer,
        pack_size -> Nullable<Integer>,
        supplier -> Text,
        language -> Text,
        unit -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    locations (id) {
        id -> Integer,
        code -> Text,
        name -> Text,
        location_type_id -> Integer,
        region_id -> Nullable<Integer>,
        city -> Text,
        country -> Text,
        ownership -> Nullable<Text>,
        contact -> Text,
        is_depot -> Bool,
        is_active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Integer,
        at -> Timestamp,
        user_id -> Nullable<Integer>,
        actor -> Text,
        action -> Text,
        entity -> Text,
        entity_id -> Text,
        summary -> Text,
        ip -> Text,
    }
}

diesel::joinable!(materials -> campaigns (campaign_id));
diesel::joinable!(locations -> regions (region_id));
diesel::joinable!(locations -> location_types (location_type_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(user_regions -> users (user_id));
diesel::joinable!(user_regions -> regions (region_id));
diesel::joinable!(audit_log -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    app_settings,
    regions,
    location_types,
    users,
    user_regions,
    sessions,
    login_throttles,
    pending_forms,
    campaigns,
    materials,
    locations,
    audit_log,
);
