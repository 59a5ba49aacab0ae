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
        name_en -> Text,
        tile_col -> Nullable<Integer>,
        tile_row -> Nullable<Integer>,
        is_abroad -> Bool,
        created_at -> Timestamp,
        name_es -> Text,
        sort_key -> Binary,
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
        name_en -> Text,
        owner_en -> Text,
        description -> Text,
        starts_on -> Date,
        ends_on -> Date,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        name_es -> Text,
        owner_es -> Text,
    }
}

diesel::table! {
    materials (id) {
        id -> Integer,
        campaign_id -> Integer,
        code -> Text,
        name_en -> Text,
        kind -> Text,
        planned_quantity -> Integer,
        pack_size -> Nullable<Integer>,
        supplier -> Text,
        language -> Text,
        unit -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        quantity_limit -> Nullable<Integer>,
        name_es -> Text,
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
        sort_key -> Binary,
        confirm_pin_hash -> Nullable<Text>,
        confirm_pin_set_at -> Nullable<Timestamp>,
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

diesel::table! {
    receipts (id) {
        id -> Integer,
        material_id -> Integer,
        location_id -> Integer,
        quantity -> Integer,
        received_on -> Date,
        supplier -> Text,
        reference -> Text,
        external_ref -> Nullable<Text>,
        recorded_by -> Nullable<Integer>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    shipments (id) {
        id -> Integer,
        reference -> Text,
        origin_id -> Integer,
        destination_id -> Integer,
        carrier -> Text,
        expected_on -> Nullable<Date>,
        status -> Text,
        dispatched_on -> Nullable<Date>,
        delivered_on -> Nullable<Date>,
        received_by -> Text,
        delivery_note -> Text,
        note -> Text,
        external_ref -> Nullable<Text>,
        created_by -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    shipment_lines (id) {
        id -> Integer,
        shipment_id -> Integer,
        material_id -> Integer,
        quantity -> Integer,
        quantity_received -> Nullable<Integer>,
        shortfall_reason -> Nullable<Text>,
    }
}

diesel::table! {
    shipment_events (id) {
        id -> Integer,
        shipment_id -> Integer,
        status -> Text,
        at -> Timestamp,
        user_id -> Nullable<Integer>,
        note -> Text,
    }
}

diesel::table! {
    attachments (id) {
        id -> Integer,
        shipment_id -> Integer,
        filename -> Text,
        content_type -> Text,
        data -> Binary,
        uploaded_by -> Nullable<Integer>,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    delivery_codes (id) {
        id -> Integer,
        shipment_id -> Integer,
        nonce -> Text,
        token_digest -> Text,
        short_code -> Text,
        issued_at -> Timestamp,
        issued_by -> Nullable<Integer>,
        voided_at -> Nullable<Timestamp>,
        failed_pins -> Integer,
        locked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    recipient_confirmations (id) {
        id -> Integer,
        shipment_id -> Integer,
        code_id -> Integer,
        confirmer_name -> Text,
        confirmer_role -> Text,
        phone -> Text,
        confirmed_at -> Timestamp,
        ip -> Text,
        submission_key -> Text,
        disputed_units -> Integer,
        supersedes_id -> Nullable<Integer>,
        superseded_at -> Nullable<Timestamp>,
        resolution -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Integer>,
        resolution_note -> Text,
    }
}

diesel::table! {
    recipient_confirmation_lines (confirmation_id, shipment_line_id) {
        confirmation_id -> Integer,
        shipment_line_id -> Integer,
        received -> Integer,
        shortfall_reason -> Nullable<Text>,
    }
}

diesel::table! {
    recipient_responses (id) {
        id -> Integer,
        shipment_id -> Integer,
        code_id -> Integer,
        agrees -> Bool,
        note -> Text,
        confirmer_name -> Text,
        confirmer_role -> Text,
        phone -> Text,
        ip -> Text,
        responded_at -> Timestamp,
        submission_key -> Text,
    }
}

diesel::table! {
    stock_counts (id) {
        id -> Integer,
        location_id -> Integer,
        counted_on -> Date,
        note -> Text,
        recorded_by -> Nullable<Integer>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    adjustments (id) {
        id -> Integer,
        material_id -> Integer,
        location_id -> Integer,
        kind -> Text,
        quantity -> Integer,
        effective_on -> Date,
        reason -> Text,
        stock_count_id -> Nullable<Integer>,
        recorded_by -> Nullable<Integer>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    stock_movements (id) {
        id -> Integer,
        material_id -> Integer,
        from_location_id -> Nullable<Integer>,
        to_location_id -> Nullable<Integer>,
        quantity -> Integer,
        kind -> Text,
        effective_on -> Date,
        receipt_id -> Nullable<Integer>,
        shipment_id -> Nullable<Integer>,
        shipment_line_id -> Nullable<Integer>,
        adjustment_id -> Nullable<Integer>,
        reverses_id -> Nullable<Integer>,
        reason -> Text,
        recorded_by -> Nullable<Integer>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    stock_balances (id) {
        id -> Integer,
        material_id -> Integer,
        location_id -> Integer,
        on_hand -> Integer,
    }
}

diesel::table! {
    submissions (user_id, key) {
        key -> Text,
        user_id -> Integer,
        fingerprint -> Text,
        result_path -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    airings (id) {
        id -> Integer,
        material_id -> Integer,
        location_id -> Integer,
        aired_on -> Date,
        times -> Integer,
        time_slot -> Text,
        programme -> Text,
        external_ref -> Nullable<Text>,
        reverses_id -> Nullable<Integer>,
        reason -> Text,
        recorded_by -> Nullable<Integer>,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    targets (id) {
        id -> Integer,
        material_id -> Integer,
        region_id -> Integer,
        location_type_id -> Integer,
        quantity -> Integer,
        updated_by -> Nullable<Integer>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    daily_flows (id) {
        id -> Integer,
        material_id -> Integer,
        flow -> Text,
        region_id -> Integer,
        location_type_id -> Integer,
        day -> Date,
        quantity -> BigInt,
    }
}

diesel::table! {
    imports (id) {
        id -> Integer,
        kind -> Text,
        file_name -> Text,
        content_hash -> Text,
        content -> Binary,
        origin_id -> Nullable<Integer>,
        status -> Text,
        committed_hash -> Nullable<Text>,
        rows -> Integer,
        report -> Text,
        uploaded_by -> Nullable<Integer>,
        uploaded_at -> Timestamp,
        committed_by -> Nullable<Integer>,
        committed_at -> Nullable<Timestamp>,
        lock_ms -> Nullable<Integer>,
        numbers -> Text,
    }
}

diesel::joinable!(materials -> campaigns (campaign_id));
diesel::joinable!(locations -> regions (region_id));
diesel::joinable!(locations -> location_types (location_type_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(user_regions -> users (user_id));
diesel::joinable!(user_regions -> regions (region_id));
diesel::joinable!(audit_log -> users (user_id));
diesel::joinable!(receipts -> materials (material_id));
diesel::joinable!(airings -> materials (material_id));
diesel::joinable!(airings -> locations (location_id));
diesel::joinable!(targets -> materials (material_id));
diesel::joinable!(targets -> regions (region_id));
diesel::joinable!(targets -> location_types (location_type_id));
diesel::joinable!(daily_flows -> materials (material_id));
diesel::joinable!(receipts -> locations (location_id));
diesel::joinable!(shipment_lines -> shipments (shipment_id));
diesel::joinable!(shipment_lines -> materials (material_id));
diesel::joinable!(shipment_events -> shipments (shipment_id));
diesel::joinable!(attachments -> shipments (shipment_id));
diesel::joinable!(delivery_codes -> shipments (shipment_id));
diesel::joinable!(recipient_confirmations -> shipments (shipment_id));
diesel::joinable!(recipient_responses -> shipments (shipment_id));
diesel::joinable!(recipient_confirmations -> delivery_codes (code_id));
diesel::joinable!(recipient_confirmation_lines -> recipient_confirmations (confirmation_id));
diesel::joinable!(recipient_confirmation_lines -> shipment_lines (shipment_line_id));
diesel::joinable!(adjustments -> materials (material_id));
diesel::joinable!(adjustments -> locations (location_id));
diesel::joinable!(stock_counts -> locations (location_id));
diesel::joinable!(stock_movements -> materials (material_id));
diesel::joinable!(stock_balances -> materials (material_id));
diesel::joinable!(stock_balances -> locations (location_id));

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
    receipts,
    shipments,
    shipment_lines,
    shipment_events,
    attachments,
    delivery_codes,
    recipient_confirmations,
    recipient_confirmation_lines,
    recipient_responses,
    stock_counts,
    adjustments,
    stock_movements,
    stock_balances,
    submissions,
    airings,
    targets,
    daily_flows,
    imports,
);

diesel::allow_columns_to_appear_in_same_group_by_clause!(
    stock_balances::material_id,
    locations::is_depot,
    location_types::code,
);
diesel::allow_columns_to_appear_in_same_group_by_clause!(shipments::destination_id, shipment_lines::material_id);
diesel::allow_columns_to_appear_in_same_group_by_clause!(shipment_lines::material_id, locations::location_type_id);
