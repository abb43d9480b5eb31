//! Structured queries over one collection (filters, order, limit, cursors) and their
//! evaluation in memory with Firestore's semantics
//! (<https://firebase.google.com/docs/firestore/query-data/queries>): a document lacking a
//! filtered or ordered field is not returned; results are ordered by the `order_by` fields,
//! then by the fields of inequality filters, then by document name.

use std::cmp::Ordering;

use super::Document;
use super::path::CollectionPath;
use super::value::{Value, get_path};

/// Most values an `in` filter may hold (Firestore's limit).
pub const MAX_IN_VALUES: usize = 30;

/// Comparison operator of a field filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=` (also excludes documents where the field is missing, as Firestore does)
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `array-contains`
    ArrayContains,
    /// `in` (value is an array)
    In,
}

/// Sort direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// One `field op value` filter (all filters are ANDed).
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
    /// Dotted field path.
    pub field: String,
    /// Operator.
    pub op: Op,
    /// Operand.
    pub value: Value,
}

/// A query over the documents of one collection.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The collection queried.
    pub collection: CollectionPath,
    /// ANDed filters.
    pub filters: Vec<Filter>,
    /// Order (field, direction); document name is the implicit final key.
    pub order_by: Vec<(String, Direction)>,
    /// Start strictly after the document with these `order_by` values (a cursor).
    pub start_after: Option<Vec<Value>>,
    /// Maximum number of documents returned.
    pub limit: Option<usize>,
    /// Field mask applied to the results (None = all fields).
    pub mask: Option<Vec<String>>,
}

impl Query {
    /// All documents of `collection`.
    pub fn new(collection: CollectionPath) -> Self {
        Self { collection, filters: Vec::new(), order_by: Vec::new(), start_after: None, limit: None, mask: None }
    }

    /// Adds a filter.
    pub fn filter(mut self, field: &str, op: Op, value: Value) -> Self {
        self.filters.push(Filter { field: field.to_owned(), op, value });
        self
    }

    /// Adds an order key.
    pub fn order_by(mut self, field: &str, dir: Direction) -> Self {
        self.order_by.push((field.to_owned(), dir));
        self
    }

    /// Sets the limit.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// Sets the cursor (values of the `order_by` fields of the last document seen).
    pub fn start_after(mut self, values: Vec<Value>) -> Self {
        self.start_after = Some(values);
        self
    }

    /// Sets a field mask on the results.
    pub fn select(mut self, fields: &[&str]) -> Self {
        self.mask = Some(fields.iter().map(|f| (*f).to_owned()).collect());
        self
    }

    /// The order Firestore actually applies: the `order_by` keys, then every field with an
    /// inequality filter (`!=`, `<`, `<=`, `>`, `>=`) not already ordered, in lexicographic
    /// order of the field path, in the direction of the last `order_by` key (ascending if none)
    /// (<https://firebase.google.com/docs/firestore/reference/rest/v1/StructuredQuery>,
    /// `orderBy`). Document name is the implicit final key.
    pub fn effective_order(&self) -> Vec<(String, Direction)> {
        let mut order = self.order_by.clone();
        let dir = order.last().map_or(Direction::Asc, |(_, d)| *d);
        let mut implicit: Vec<&str> = self
            .filters
            .iter()
            .filter(|f| matches!(f.op, Op::Ne | Op::Lt | Op::Le | Op::Gt | Op::Ge))
            .map(|f| f.field.as_str())
            .filter(|f| !self.order_by.iter().any(|(o, _)| o == f))
            .collect();
        implicit.sort_unstable();
        implicit.dedup();
        order.extend(implicit.into_iter().map(|f| (f.to_owned(), dir)));
        order
    }

    /// True when the document passes every filter and has every ordered field.
    pub fn matches(&self, doc: &Document) -> bool {
        self.order_by.iter().all(|(f, _)| get_path(&doc.fields, f).is_some())
            && self.filters.iter().all(|flt| {
                let Some(v) = get_path(&doc.fields, &flt.field) else { return false };
                let cmp = || v.firestore_cmp(&flt.value);
                let same_kind = || v.type_rank() == flt.value.type_rank();
                match flt.op {
                    Op::Eq => cmp().is_eq(),
                    Op::Ne => cmp().is_ne() && !matches!(v, Value::NullValue(())),
                    Op::Lt => same_kind() && cmp().is_lt(),
                    Op::Le => same_kind() && cmp().is_le(),
                    Op::Gt => same_kind() && cmp().is_gt(),
                    Op::Ge => same_kind() && cmp().is_ge(),
                    Op::ArrayContains => match v {
                        Value::ArrayValue(a) => a.values.iter().any(|x| x.firestore_cmp(&flt.value).is_eq()),
                        _ => false,
                    },
                    Op::In => match &flt.value {
                        Value::ArrayValue(a) => a.values.iter().any(|x| v.firestore_cmp(x).is_eq()),
                        _ => false,
                    },
                }
            })
    }

    /// Orders two matching documents by the [`Query::effective_order`] keys, then by name.
    pub fn compare(&self, a: &Document, b: &Document) -> Ordering {
        compare_in(&self.effective_order(), a, b)
    }

    /// True when `doc` sorts strictly after the cursor.
    fn after_cursor(&self, doc: &Document) -> bool {
        let Some(cursor) = &self.start_after else { return true };
        for ((field, dir), cv) in self.effective_order().iter().zip(cursor) {
            let Some(v) = get_path(&doc.fields, field) else { return false };
            let o = v.firestore_cmp(cv);
            let o = if *dir == Direction::Desc { o.reverse() } else { o };
            if o.is_ne() {
                return o.is_gt();
            }
        }
        false
    }

    /// Checks the limits Firestore enforces on a query
    /// (<https://firebase.google.com/docs/firestore/query-data/queries#limitations>): an `in`
    /// filter takes an array of 1 to 30 values.
    ///
    /// # Errors
    /// [`StoreError::InvalidArgument`] naming the broken rule.
    pub fn validate(&self) -> Result<(), super::StoreError> {
        for f in &self.filters {
            if f.op == Op::In {
                match &f.value {
                    Value::ArrayValue(a) if (1..=MAX_IN_VALUES).contains(&a.values.len()) => {}
                    _ => {
                        return Err(super::StoreError::InvalidArgument(format!(
                            "an `in` filter on {:?} needs an array of 1 to {MAX_IN_VALUES} values",
                            f.field
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// One candidate as a backend reads it, reduced to what [`Query::evaluate`] still needs:
    /// `None` when it fails the filters or lacks an ordered field, or is not after the cursor;
    /// otherwise, when the query has a field mask, the document projected onto the mask, the
    /// ordering and the filtered fields. A backend that scans rows can call this on each one, so a masked
    /// query over a large collection holds only the projected matches in memory (the embedded
    /// planner reads 100,000 user ids this way, not 100,000 whole user documents).
    pub fn prune(&self, doc: Document) -> Option<Document> {
        if !self.matches(&doc) || !self.after_cursor(&doc) {
            return None;
        }
        let Some(mask) = &self.mask else { return Some(doc) };
        let order = self.effective_order();
        let keep: Vec<&str> = mask
            .iter()
            .map(String::as_str)
            .chain(order.iter().map(|(f, _)| f.as_str()))
            .chain(self.filters.iter().map(|f| f.field.as_str()))
            .collect();
        Some(doc.project(&keep))
    }

    /// Runs the query over a set of candidate documents of the collection: filter, sort,
    /// cursor, limit, mask.
    pub fn evaluate(&self, docs: Vec<Document>) -> Vec<Document> {
        let mut out: Vec<Document> = docs.into_iter().filter(|d| self.matches(d)).collect();
        let order = self.effective_order();
        out.sort_by(|a, b| compare_in(&order, a, b));
        let out = out.into_iter().filter(|d| self.after_cursor(d));
        let out: Vec<Document> = match self.limit {
            Some(n) => out.take(n).collect(),
            None => out.collect(),
        };
        match &self.mask {
            None => out,
            Some(mask) => {
                let mask: Vec<&str> = mask.iter().map(String::as_str).collect();
                out.into_iter().map(|d| d.project(&mask)).collect()
            }
        }
    }
}

/// Orders two documents by `order` (field, direction), then by name in the last direction.
fn compare_in(order: &[(String, Direction)], a: &Document, b: &Document) -> Ordering {
    for (field, dir) in order {
        let (x, y) = (get_path(&a.fields, field), get_path(&b.fields, field));
        let o = match (x, y) {
            (Some(x), Some(y)) => x.firestore_cmp(y),
            _ => Ordering::Equal,
        };
        let o = if *dir == Direction::Desc { o.reverse() } else { o };
        if o.is_ne() {
            return o;
        }
    }
    let last_dir = order.last().map_or(Direction::Asc, |(_, d)| *d);
    let o = a.path.as_str().cmp(b.path.as_str());
    if last_dir == Direction::Desc { o.reverse() } else { o }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DocPath, Fields};

    fn user(id: &str, week: &str, rank: i64) -> Document {
        let fields = Fields::from([
            ("uid".to_owned(), Value::string(id)),
            ("last_active_week".to_owned(), Value::string(week)),
            ("rank".to_owned(), Value::IntegerValue(rank)),
            ("abilities".to_owned(), Value::string("a large map in real documents")),
        ]);
        let t = chrono::DateTime::from_timestamp(1_795_939_200, 0).unwrap();
        Document { path: DocPath::parse(&format!("users/{id}")).unwrap(), fields, create_time: t, update_time: t }
    }

    #[test]
    fn prune_then_evaluate_equals_evaluate() {
        let q = Query::new(CollectionPath::root("users").unwrap())
            .filter("last_active_week", Op::Eq, Value::string("2026-W48"))
            .order_by("rank", Direction::Desc)
            .start_after(vec![Value::IntegerValue(9)])
            .select(&["uid"]);
        let docs: Vec<Document> =
            (0..12).map(|i| user(&format!("u{i:02}"), if i % 3 == 0 { "2026-W47" } else { "2026-W48" }, i)).collect();
        let pruned: Vec<Document> = docs.iter().cloned().filter_map(|d| q.prune(d)).collect();
        // Kept: this week's users ranked below 9, without the fields nothing reads.
        assert_eq!(pruned.len(), 6);
        assert!(pruned.iter().all(|d| d.fields.len() == 3 && !d.fields.contains_key("abilities")));
        let ids = |v: Vec<Document>| v.into_iter().map(|d| d.path.as_str().to_owned()).collect::<Vec<_>>();
        assert_eq!(ids(q.evaluate(pruned)), ids(q.evaluate(docs)));
        assert_eq!(ids(q.evaluate(vec![])), Vec::<String>::new());
    }
}
