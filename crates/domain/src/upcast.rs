//! Upcasters: the chain that brings an event's stored JSON from the schema version it was written
//! with up to the version this code folds, one version at a time. Seed 000: "transform all events to
//! the latest version of the schema when it loads them from the event store", so the deciders and the
//! view only ever see the latest shape, and events stored years ago in someone's IndexedDB still load.
//!
//! To evolve an event type again, raise its version in `codec.rs` and add one step here that reads
//! the previous version; the steps before it stay as they are.

use crate::order::LEGACY_PRODUCT;
use serde_json::{json, Value};

/// One step of the chain: turns an event type's data from version `from` into version `from + 1`.
#[derive(Clone, Copy, Debug)]
pub struct Upcaster {
    /// The aggregate type the event belongs to.
    pub entity_type: &'static str,
    /// The event type.
    pub event_type: &'static str,
    /// The version this step reads; it writes the next one.
    pub from: u32,
    /// The step itself: the data as JSON in, the data one version later out, or why it cannot be.
    pub step: fn(Value) -> Result<Value, String>,
}

/// Every step there is.
pub const UPCASTERS: &[Upcaster] = &[Upcaster {
    entity_type: "Order",
    event_type: "OrderCreated",
    from: 1,
    step: order_created_v1_to_v2,
}];

/// Runs the steps of `table` that take `event_type` from version `from` to version `to`, in order.
/// A missing step or a step that cannot read its input is an error, never a panic.
pub fn upcast(
    table: &[Upcaster],
    entity_type: &str,
    event_type: &str,
    from: u32,
    to: u32,
    data: Value,
) -> Result<Value, String> {
    (from..to).try_fold(data, |data, version| {
        let upcaster = table
            .iter()
            .find(|u| {
                u.entity_type == entity_type && u.event_type == event_type && u.from == version
            })
            .ok_or_else(|| format!("no upcaster reads version {version}"))?;
        (upcaster.step)(data).map_err(|e| format!("from version {version}: {e}"))
    })
}

/// OrderCreated v1 → v2. Version 1 stored only the total, `{"customer_id", "order_total_cents"}`;
/// version 2 stores line items. The total becomes one line, [`LEGACY_PRODUCT`] × 1 at the total, so
/// the order's total is exactly what it was.
fn order_created_v1_to_v2(mut data: Value) -> Result<Value, String> {
    let fields = data
        .as_object_mut()
        .ok_or("the data is not a JSON object")?;
    let total = fields
        .remove("order_total_cents")
        .ok_or("missing field `order_total_cents`")?;
    if !total.is_i64() {
        return Err(format!(
            "`order_total_cents` is {total}, not a whole number of cents"
        ));
    }
    fields.insert(
        "line_items".to_string(),
        json!([{ "product_id": LEGACY_PRODUCT, "quantity": 1, "unit_price_cents": total }]),
    );
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(from: u32, to: u32, data: Value) -> Result<Value, String> {
        upcast(UPCASTERS, "Order", "OrderCreated", from, to, data)
    }

    #[test]
    fn a_v1_total_becomes_one_legacy_line_at_that_price() {
        assert_eq!(
            check(
                1,
                2,
                json!({"customer_id": "c1", "order_total_cents": 1250})
            ),
            Ok(json!({
                "customer_id": "c1",
                "line_items": [{"product_id": "legacy-item", "quantity": 1, "unit_price_cents": 1250}]
            }))
        );
    }

    #[test]
    fn data_already_at_the_target_version_is_left_alone() {
        let v2 = json!({"customer_id": "c1", "line_items": []});
        assert_eq!(check(2, 2, v2.clone()), Ok(v2));
    }

    #[test]
    fn v1_data_that_is_not_what_v1_wrote_is_an_error_not_a_panic() {
        assert_eq!(
            check(1, 2, json!({"customer_id": "c1"})),
            Err("from version 1: missing field `order_total_cents`".to_string())
        );
        assert_eq!(
            check(
                1,
                2,
                json!({"customer_id": "c1", "order_total_cents": "12.50"})
            ),
            Err(
                "from version 1: `order_total_cents` is \"12.50\", not a whole number of cents"
                    .to_string()
            )
        );
        assert_eq!(
            check(1, 2, json!([1, 2])),
            Err("from version 1: the data is not a JSON object".to_string())
        );
    }

    #[test]
    fn a_gap_in_the_chain_is_an_error() {
        assert_eq!(
            check(1, 3, json!({"customer_id": "c1", "order_total_cents": 1})),
            Err("no upcaster reads version 2".to_string())
        );
        assert_eq!(
            upcast(UPCASTERS, "Order", "OrderApproved", 1, 2, json!({})),
            Err("no upcaster reads version 1".to_string())
        );
    }

    #[test]
    fn a_later_step_runs_after_the_earlier_ones() {
        // What adding OrderCreated v3 would look like: one more row; v1 data goes through both.
        fn v2_to_v3(mut data: Value) -> Result<Value, String> {
            let fields = data.as_object_mut().ok_or("not an object")?;
            let lines = fields.get("line_items").cloned().ok_or("no line_items")?;
            fields.insert("lines_seen_by_v3".to_string(), lines);
            Ok(data)
        }
        let table = [
            UPCASTERS[0],
            Upcaster {
                entity_type: "Order",
                event_type: "OrderCreated",
                from: 2,
                step: v2_to_v3,
            },
        ];
        let v3 = upcast(
            &table,
            "Order",
            "OrderCreated",
            1,
            3,
            json!({"customer_id": "c1", "order_total_cents": 7}),
        )
        .expect("upcast");
        assert_eq!(
            v3["lines_seen_by_v3"][0]["unit_price_cents"],
            json!(7),
            "v2→v3 saw what v1→v2 produced"
        );
    }
}
