//! One conformance suite for every [`DocumentStore`] backend.
//!
//! Each scenario in [`suite`] is an async fn taking a store and a unique root collection id;
//! [`conformance!`] instantiates every scenario three times: in `sqlite` (an in-memory
//! `SqliteStore`, always run), in `sqlite_file` (a WAL file, read through the pool of read
//! connections, always run) and in `firestore` (run against the emulator named by
//! `FIRESTORE_EMULATOR_HOST`; without it each test prints
//! `skipped: FIRESTORE_EMULATOR_HOST not set` and passes).
//!
//! Start the emulator with `eval "$(.ci/firestore-emulator.sh start)"`, then
//! `cargo test -p shared --test store_conformance`.

use std::sync::Arc;

use shared::store::sqlite::SqliteStore;
use shared::store::{CollectionPath, DocPath, Fields, Store, Value};

/// Project id used against the emulator (`FIRESTORE_PROJECT_ID` overrides it).
const EMULATOR_PROJECT: &str = "jeevibe-test";

fn sqlite_store() -> Store {
    Arc::new(SqliteStore::in_memory().expect("in-memory sqlite"))
}

/// A store on a new SQLite file (reads go through its read connections, not the writer).
fn sqlite_file_store() -> Store {
    let dir = std::env::temp_dir().join(format!("jeevibe-conformance-{}", uuid::Uuid::new_v4().simple()));
    Arc::new(SqliteStore::open(&dir.join("store.db")).expect("sqlite file"))
}

async fn firestore_store() -> Option<Store> {
    if std::env::var_os("FIRESTORE_EMULATOR_HOST").is_none() {
        println!("skipped: FIRESTORE_EMULATOR_HOST not set");
        return None;
    }
    let project = std::env::var("FIRESTORE_PROJECT_ID").unwrap_or_else(|_| EMULATOR_PROJECT.to_owned());
    Some(
        shared::store::firestore::FirestoreStore::connect(&project, "(default)")
            .await
            .expect("connect to the Firestore emulator"),
    )
}

/// A root collection id no other test (or earlier run) uses.
fn unique_root(test: &str) -> String {
    format!("t_{}_{test}", uuid::Uuid::new_v4().simple())
}

fn coll(root: &str) -> CollectionPath {
    CollectionPath::root(root).unwrap()
}

fn doc(root: &str, id: &str) -> DocPath {
    coll(root).doc(id).unwrap()
}

fn fields<const N: usize>(entries: [(&str, Value); N]) -> Fields {
    entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn int(i: i64) -> Value {
    Value::IntegerValue(i)
}

fn s(v: &str) -> Value {
    Value::string(v)
}

mod suite {
    use std::time::Duration;

    use chrono::{TimeZone, Utc};
    use shared::store::metering::{Usage, metered};
    use shared::store::value::get_path;
    use shared::store::{
        Direction, FieldTransform, Op, Precondition, Query, Store, StoreError, TransactionRetry, Value, Write,
        WriteKind, check_commit_size, commit_chunked,
    };

    use super::{coll, doc, fields, int, s};

    fn ids(docs: &[shared::store::Document]) -> Vec<String> {
        docs.iter().map(|d| d.path.id().to_owned()).collect()
    }

    pub async fn crud(store: Store, root: &str) {
        let a = doc(root, "a");
        assert_eq!(store.get(&a, None).await.unwrap(), None);

        store.commit(vec![Write::set(a.clone(), fields([("x", int(1)), ("y", s("one"))]))]).await.unwrap();
        let got = store.get(&a, None).await.unwrap().expect("exists after set");
        assert_eq!(got.path, a);
        assert_eq!(got.fields, fields([("x", int(1)), ("y", s("one"))]));
        assert!(got.create_time <= got.update_time);

        tokio::time::sleep(Duration::from_millis(5)).await;
        store
            .commit(vec![Write::merge(a.clone(), fields([("y", s("two")), ("z", Value::BooleanValue(true))]))])
            .await
            .unwrap();
        let merged = store.get(&a, None).await.unwrap().unwrap();
        assert_eq!(merged.fields, fields([("x", int(1)), ("y", s("two")), ("z", Value::BooleanValue(true))]));
        assert_eq!(merged.create_time, got.create_time, "merge keeps create_time");
        assert!(merged.update_time > got.update_time, "merge advances update_time");

        // A masked path absent from the values deletes that field; nested paths create maps.
        let w = Write {
            path: a.clone(),
            kind: WriteKind::Merge {
                fields: fields([("m", Value::map(fields([("k", int(7))])))]),
                mask: vec!["z".into(), "m.k".into()],
            },
            transforms: vec![],
            precondition: Some(Precondition::Exists(true)),
        };
        store.commit(vec![w]).await.unwrap();
        let merged = store.get(&a, None).await.unwrap().unwrap();
        assert_eq!(merged.fields, fields([("x", int(1)), ("y", s("two")), ("m", Value::map(fields([("k", int(7))])))]));

        // Set replaces the whole document.
        store.commit(vec![Write::set(a.clone(), fields([("only", int(2))]))]).await.unwrap();
        assert_eq!(store.get(&a, None).await.unwrap().unwrap().fields, fields([("only", int(2))]));

        // Create on an existing document fails; nothing else in the batch applies.
        let b = doc(root, "b");
        let err = store
            .commit(vec![Write::set(b.clone(), fields([("x", int(1))])), Write::create(a.clone(), fields([]))])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::AlreadyExists(_)), "{err:?}");
        assert_eq!(store.get(&b, None).await.unwrap(), None, "a failed batch applies nothing");

        // Exists(true) on a missing document fails with NotFound.
        let missing = doc(root, "missing");
        let err = store
            .commit(vec![
                Write::merge(missing.clone(), fields([("x", int(1))])).with_precondition(Precondition::Exists(true)),
            ])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
        let err = store
            .commit(vec![Write::delete(missing.clone()).with_precondition(Precondition::Exists(true))])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
        assert_eq!(store.get(&missing, None).await.unwrap(), None);

        // Create works once.
        store.commit(vec![Write::create(b.clone(), fields([("x", int(1))]))]).await.unwrap();
        assert!(store.get(&b, None).await.unwrap().is_some());

        // Delete, and deleting a missing document is a no-op.
        store.commit(vec![Write::delete(a.clone())]).await.unwrap();
        assert_eq!(store.get(&a, None).await.unwrap(), None);
        store.commit(vec![Write::delete(a.clone())]).await.unwrap();

        // Subcollections are separate from their parent document and from each other.
        let q1 = b.collection("quizzes").unwrap().doc("q1").unwrap();
        let other = doc(root, "c").collection("quizzes").unwrap().doc("q2").unwrap();
        store
            .commit(vec![Write::set(q1.clone(), fields([("n", int(1))])), Write::set(other, fields([("n", int(2))]))])
            .await
            .unwrap();
        let sub = store.query(&Query::new(b.collection("quizzes").unwrap())).await.unwrap();
        assert_eq!(ids(&sub), vec!["q1"]);
        let top = store.query(&Query::new(coll(root))).await.unwrap();
        assert_eq!(ids(&top), vec!["b"], "the parent query does not see subcollection documents");
    }

    pub async fn field_masks(store: Store, root: &str) {
        let a = doc(root, "a");
        let nested = Value::map(fields([
            ("x", int(1)),
            ("y", int(2)),
            ("deep", Value::map(fields([("z", s("zz")), ("w", s("ww"))]))),
        ]));
        store
            .commit(vec![Write::set(a.clone(), fields([("top", int(5)), ("other", s("o")), ("m", nested)]))])
            .await
            .unwrap();

        let got = store.get(&a, Some(&["top", "m.x", "m.deep.z", "absent", "m.absent"])).await.unwrap().unwrap();
        assert_eq!(
            got.fields,
            fields([
                ("top", int(5)),
                ("m", Value::map(fields([("x", int(1)), ("deep", Value::map(fields([("z", s("zz"))])))])))
            ])
        );

        let got =
            store.get(&a, Some(&["absent"])).await.unwrap().expect("document exists even if the mask matches nothing");
        assert!(got.fields.is_empty());

        let got = store.get(&a, Some(&[])).await.unwrap().unwrap();
        assert!(got.fields.is_empty(), "an empty mask returns no fields: {:?}", got.fields);

        let many = store.get_all(&[a.clone(), doc(root, "nope")], Some(&["m.y"])).await.unwrap();
        assert_eq!(many[0].as_ref().unwrap().fields, fields([("m", Value::map(fields([("y", int(2))])))]));
        assert_eq!(many[1], None);

        let q = store.query(&Query::new(coll(root)).select(&["other", "m.deep.w"])).await.unwrap();
        assert_eq!(q.len(), 1);
        assert_eq!(
            q[0].fields,
            fields([("other", s("o")), ("m", Value::map(fields([("deep", Value::map(fields([("w", s("ww"))])))])))])
        );
        let q = store.query(&Query::new(coll(root)).select(&[])).await.unwrap();
        assert_eq!(q.len(), 1);
        assert!(q[0].fields.is_empty());
    }

    pub async fn get_all_order(store: Store, root: &str) {
        let writes = ["c", "a", "b"].iter().map(|id| Write::set(doc(root, id), fields([("id", s(id))]))).collect();
        store.commit(writes).await.unwrap();
        let paths =
            [doc(root, "c"), doc(root, "missing1"), doc(root, "a"), doc(root, "b"), doc(root, "a"), doc(root, "zz")];
        let got = store.get_all(&paths, None).await.unwrap();
        let got: Vec<Option<String>> =
            got.iter().map(|d| d.as_ref().map(|d| d.fields["id"].as_str().unwrap().to_owned())).collect();
        assert_eq!(got, vec![Some("c".into()), None, Some("a".into()), Some("b".into()), Some("a".into()), None]);
        for (p, d) in paths.iter().zip(store.get_all(&paths, None).await.unwrap()) {
            if let Some(d) = d {
                assert_eq!(&d.path, p);
            }
        }
        assert!(store.get_all(&[], None).await.unwrap().is_empty());
    }

    async fn seed_scores(store: &Store, root: &str) {
        let data = [
            ("d1", Some(int(10)), vec!["jee", "physics"], "alpha"),
            ("d2", Some(int(20)), vec!["physics"], "beta"),
            ("d3", Some(Value::DoubleValue(15.5)), vec![], "gamma"),
            ("d4", Some(int(30)), vec!["chem"], "delta"),
            ("d5", None, vec!["jee"], "eps"),
            ("d6", Some(Value::NullValue(())), vec![], "zeta"),
            ("d7", Some(s("twenty")), vec!["math"], "eta"),
        ];
        let writes = data
            .into_iter()
            .map(|(id, score, tags, name)| {
                let mut f = fields([
                    ("tags", Value::array(tags.into_iter().map(s).collect())),
                    ("name", s(name)),
                    ("meta", Value::map(fields([("rank", int(id[1..].parse().unwrap()))]))),
                ]);
                if let Some(score) = score {
                    f.insert("score".into(), score);
                }
                Write::set(doc(root, id), f)
            })
            .collect();
        store.commit(writes).await.unwrap();
    }

    async fn run(store: &Store, q: Query) -> Vec<String> {
        ids(&store.query(&q).await.unwrap())
    }

    pub async fn query_filters(store: Store, root: &str) {
        seed_scores(&store, root).await;
        let c = || Query::new(coll(root));
        let by_score = |q: Query| q.order_by("score", Direction::Asc);
        assert_eq!(run(&store, by_score(c().filter("score", Op::Eq, int(20)))).await, vec!["d2"]);
        assert_eq!(run(&store, by_score(c().filter("score", Op::Eq, Value::DoubleValue(20.0)))).await, vec!["d2"]);
        assert_eq!(run(&store, by_score(c().filter("score", Op::Lt, int(20)))).await, vec!["d1", "d3"]);
        assert_eq!(run(&store, by_score(c().filter("score", Op::Le, int(20)))).await, vec!["d1", "d3", "d2"]);
        assert_eq!(run(&store, by_score(c().filter("score", Op::Gt, int(15)))).await, vec!["d3", "d2", "d4"]);
        assert_eq!(run(&store, by_score(c().filter("score", Op::Ge, int(20)))).await, vec!["d2", "d4"]);
        assert_eq!(run(&store, by_score(c().filter("score", Op::Gt, s("a")))).await, vec!["d7"]);
        assert_eq!(run(&store, c().filter("tags", Op::ArrayContains, s("jee"))).await, vec!["d1", "d5"]);
        assert_eq!(
            run(&store, c().filter("name", Op::In, Value::array(vec![s("beta"), s("eta"), s("nobody")]))).await,
            vec!["d2", "d7"]
        );
        assert_eq!(run(&store, c().filter("meta.rank", Op::Eq, int(4))).await, vec!["d4"]);
        assert_eq!(run(&store, c().filter("score", Op::Eq, Value::NullValue(()))).await, vec!["d6"]);
        // AND of filters.
        assert_eq!(
            run(&store, by_score(c().filter("score", Op::Ge, int(10)).filter("tags", Op::ArrayContains, s("physics"))))
                .await,
            vec!["d1", "d2"]
        );
    }

    /// `!=`: Firestore excludes documents lacking the field and those where it is null.
    pub async fn query_not_equal(store: Store, root: &str) {
        seed_scores(&store, root).await;
        let q = Query::new(coll(root)).filter("score", Op::Ne, int(20)).order_by("score", Direction::Asc);
        assert_eq!(run(&store, q).await, vec!["d1", "d3", "d4", "d7"]);
        let q = Query::new(coll(root)).filter("score", Op::Ne, Value::NullValue(())).order_by("score", Direction::Asc);
        assert_eq!(run(&store, q).await, vec!["d1", "d3", "d2", "d4", "d7"]);
    }

    /// An inequality filter without an explicit order: Firestore orders by the filtered field
    /// (then name).
    pub async fn query_inequality_implicit_order(store: Store, root: &str) {
        seed_scores(&store, root).await;
        let q = Query::new(coll(root)).filter("score", Op::Gt, int(5));
        assert_eq!(run(&store, q).await, vec!["d1", "d3", "d2", "d4"]);
        let q = Query::new(coll(root)).filter("score", Op::Ne, int(20));
        assert_eq!(run(&store, q).await, vec!["d1", "d3", "d4", "d7"]);
        let q = Query::new(coll(root)).filter("score", Op::Ge, int(0)).order_by("name", Direction::Desc);
        assert_eq!(run(&store, q).await, vec!["d3", "d4", "d2", "d1"], "explicit order first");
    }

    pub async fn query_order_limit(store: Store, root: &str) {
        seed_scores(&store, root).await;
        let c = || Query::new(coll(root));
        // No order: by document id.
        assert_eq!(run(&store, c()).await, vec!["d1", "d2", "d3", "d4", "d5", "d6", "d7"]);
        // Order across types: null < numbers < strings; documents lacking the field are left out.
        assert_eq!(run(&store, c().order_by("score", Direction::Asc)).await, vec!["d6", "d1", "d3", "d2", "d4", "d7"]);
        assert_eq!(run(&store, c().order_by("score", Direction::Desc)).await, vec!["d7", "d4", "d2", "d3", "d1", "d6"]);
        assert_eq!(run(&store, c().order_by("score", Direction::Desc).limit(2)).await, vec!["d7", "d4"]);
        assert_eq!(run(&store, c().order_by("name", Direction::Asc).limit(3)).await, vec!["d1", "d2", "d4"]);
        assert_eq!(run(&store, c().order_by("meta.rank", Direction::Desc).limit(1)).await, vec!["d7"]);
        assert!(run(&store, c().filter("score", Op::Eq, int(999))).await.is_empty());
        // Ties on the order key are broken by document id (descending for a descending order).
        let tie = coll(&format!("{root}_tie"));
        let writes =
            ["b", "a", "c"].iter().map(|id| Write::set(tie.doc(id).unwrap(), fields([("k", int(1))]))).collect();
        store.commit(writes).await.unwrap();
        assert_eq!(run(&store, Query::new(tie.clone()).order_by("k", Direction::Asc)).await, vec!["a", "b", "c"]);
        assert_eq!(run(&store, Query::new(tie).order_by("k", Direction::Desc)).await, vec!["c", "b", "a"]);
    }

    pub async fn query_pagination(store: Store, root: &str) {
        let writes = (0..25)
            .map(|i| {
                Write::set(
                    doc(root, &format!("p{i:02}")),
                    fields([("n", int(i)), ("even", Value::BooleanValue(i % 2 == 0))]),
                )
            })
            .collect();
        store.commit(writes).await.unwrap();
        for dir in [Direction::Asc, Direction::Desc] {
            let base =
                Query::new(coll(root)).filter("even", Op::Eq, Value::BooleanValue(true)).order_by("n", dir).limit(5);
            let mut pages = Vec::new();
            let mut cursor: Option<Vec<Value>> = None;
            loop {
                let q = match &cursor {
                    Some(c) => base.clone().start_after(c.clone()),
                    None => base.clone(),
                };
                let page = store.query(&q).await.unwrap();
                if page.is_empty() {
                    break;
                }
                cursor = Some(vec![page.last().unwrap().fields["n"].clone()]);
                pages.push(page.iter().map(|d| d.fields["n"].as_i64().unwrap()).collect::<Vec<_>>());
            }
            let mut expected: Vec<i64> = (0..25).filter(|i| i % 2 == 0).collect();
            if dir == Direction::Desc {
                expected.reverse();
            }
            assert_eq!(pages.len(), 3, "13 documents in pages of 5: {pages:?}");
            assert_eq!(pages.concat(), expected);
        }
    }

    pub async fn batched_writes(store: Store, root: &str) {
        let writes: Vec<Write> =
            (0..1_201).map(|i| Write::set(doc(root, &format!("d{i:04}")), fields([("i", int(i))]))).collect();

        let too_many = writes[..501].to_vec();
        assert!(check_commit_size(&too_many).is_err());
        let err = store.commit(too_many).await.unwrap_err();
        assert!(matches!(err, StoreError::InvalidArgument(_)), "{err:?}");
        assert!(store.query(&Query::new(coll(root))).await.unwrap().is_empty(), "a rejected commit writes nothing");
        assert!(check_commit_size(&writes[..500]).is_ok());

        let chunks = commit_chunked(store.as_ref(), writes).await.unwrap();
        assert_eq!(chunks, 3);
        let all = store.query(&Query::new(coll(root))).await.unwrap();
        assert_eq!(all.len(), 1_201);
        assert_eq!(all[1_200].fields["i"], int(1_200));

        // A transaction commit is capped too.
        let txn = store.begin().await.unwrap();
        let deletes: Vec<Write> = (0..501).map(|i| Write::delete(doc(root, &format!("d{i:04}")))).collect();
        let err = txn.commit(deletes).await.unwrap_err();
        assert!(matches!(err, StoreError::InvalidArgument(_)), "{err:?}");
        assert_eq!(store.query(&Query::new(coll(root))).await.unwrap().len(), 1_201);
    }

    /// `n` tasks each add 1 to one counter with a read-modify-write transaction retried with
    /// [`TransactionRetry`]. No increment may be lost: the final value equals the number of
    /// committed transactions, which must be `n` unless `allow_give_up`.
    async fn contended_counter(store: Store, root: &str, n: i64, allow_give_up: bool) {
        let counter = doc(root, "counter");
        store.commit(vec![Write::set(counter.clone(), fields([("n", int(0))]))]).await.unwrap();
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let store = store.clone();
                let counter = counter.clone();
                tokio::spawn(async move {
                    let mut retry = TransactionRetry::default();
                    loop {
                        let attempt = async {
                            let mut txn = store.begin().await?;
                            let current = txn.get(&counter).await?.expect("counter exists");
                            let n = current.fields["n"].as_i64().unwrap();
                            tokio::task::yield_now().await;
                            txn.commit(vec![Write::merge(counter.clone(), fields([("n", int(n + 1))]))]).await
                        };
                        match attempt.await {
                            Ok(()) => return Ok(retry.attempts()),
                            Err(StoreError::Aborted) if retry.backoff().await => continue,
                            Err(StoreError::Aborted) if allow_give_up => {
                                return Err(retry.attempts());
                            }
                            Err(e) => panic!("transaction failed after {} attempts: {e:?}", retry.attempts()),
                        }
                    }
                })
            })
            .collect();
        let (mut attempts, mut committed) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(a) => {
                    attempts += a;
                    committed += 1;
                }
                Err(a) => attempts += a,
            }
        }
        let final_value = store.get(&counter, None).await.unwrap().unwrap().fields["n"].clone();
        assert_eq!(
            final_value,
            int(committed),
            "no increment lost ({attempts} attempts, {committed} of {n} committed)"
        );
        if committed < n {
            println!(
                "{} of {n} transactions exhausted TransactionRetry (Firestore emulator lock timeouts, \
                 firebase-tools#6758); none of the {committed} committed was lost",
                n - committed
            );
        }
        assert!(committed >= 1, "no transaction committed ({attempts} attempts)");
    }

    pub async fn transactions_two(store: Store, root: &str) {
        contended_counter(store, root, 2, false).await;
    }

    /// 20 concurrent read-modify-write transactions on one document. Strict (all 20 commit) on
    /// SQLite and on real Firestore; the Firestore emulator has no wound-wait (every contended
    /// commit waits for its fixed lock timeout, then all waiters abort), so there some may
    /// exhaust their retries: the test then checks that none of the committed ones was lost.
    pub async fn transactions_twenty(store: Store, root: &str) {
        let emulator = store.backend() == "firestore" && std::env::var_os("FIRESTORE_EMULATOR_HOST").is_some();
        contended_counter(store, root, 20, emulator).await;
    }

    pub async fn transaction_reads_and_rollback(store: Store, root: &str) {
        let a = doc(root, "a");
        let b = doc(root, "b");
        store.commit(vec![Write::set(a.clone(), fields([("v", int(1))]))]).await.unwrap();
        let mut txn = store.begin().await.unwrap();
        let got = txn.get_all(&[b.clone(), a.clone()]).await.unwrap();
        assert_eq!(got[0], None);
        assert_eq!(got[1].as_ref().unwrap().fields, fields([("v", int(1))]));
        // Dropped without commit: nothing written, and the next transaction is not blocked.
        drop(txn);
        let mut txn = store.begin().await.unwrap();
        assert!(txn.get(&b).await.unwrap().is_none());
        txn.commit(vec![Write::create(b.clone(), fields([("v", int(2))]))]).await.unwrap();
        assert_eq!(store.get(&b, None).await.unwrap().unwrap().fields["v"], int(2));
        // A precondition failure inside a transaction surfaces as such.
        let mut txn = store.begin().await.unwrap();
        txn.get(&b).await.unwrap();
        let err = txn.commit(vec![Write::create(b.clone(), fields([]))]).await.unwrap_err();
        assert!(matches!(err, StoreError::AlreadyExists(_)), "{err:?}");
    }

    pub async fn transforms(store: Store, root: &str) {
        let a = doc(root, "a");
        store
            .commit(vec![Write::set(
                a.clone(),
                fields([("i", int(5)), ("d", Value::DoubleValue(1.5)), ("text", s("x")), ("keep", int(1))]),
            )])
            .await
            .unwrap();
        store
            .commit(vec![Write::transform(
                a.clone(),
                vec![
                    FieldTransform::Increment("i".into(), int(2)),
                    FieldTransform::Increment("d".into(), int(1)),
                    FieldTransform::Increment("i2".into(), int(3)),
                    FieldTransform::Increment("m.nested".into(), Value::DoubleValue(0.25)),
                    FieldTransform::Increment("text".into(), int(4)),
                ],
            )])
            .await
            .unwrap();
        let got = store.get(&a, None).await.unwrap().unwrap();
        assert_eq!(got.fields["i"], int(7), "int + int stays an integer");
        assert_eq!(got.fields["d"], Value::DoubleValue(2.5), "double + int is a double");
        assert_eq!(got.fields["i2"], int(3), "a missing field starts at zero");
        assert_eq!(get_path(&got.fields, "m.nested"), Some(&Value::DoubleValue(0.25)));
        assert_eq!(got.fields["text"], int(4), "a non-numeric field is replaced");
        assert_eq!(got.fields["keep"], int(1), "a transform-only write keeps other fields");

        store
            .commit(vec![Write::transform(
                a.clone(),
                vec![FieldTransform::Increment("i".into(), Value::DoubleValue(0.5))],
            )])
            .await
            .unwrap();
        assert_eq!(store.get(&a, None).await.unwrap().unwrap().fields["i"], Value::DoubleValue(7.5), "int + double");

        store
            .commit(vec![Write::transform(a.clone(), vec![FieldTransform::Increment("i2".into(), int(i64::MAX))])])
            .await
            .unwrap();
        assert_eq!(store.get(&a, None).await.unwrap().unwrap().fields["i2"], int(i64::MAX), "saturates");

        // Transforms run after the write's fields, in the same write.
        let before = Utc::now();
        store
            .commit(vec![Write::set(a.clone(), fields([("i", int(10))])).with_transforms(vec![
                FieldTransform::Increment("i".into(), int(1)),
                FieldTransform::ServerTimestamp("at".into()),
                FieldTransform::ServerTimestamp("nested.at".into()),
            ])])
            .await
            .unwrap();
        let got = store.get(&a, None).await.unwrap().unwrap();
        assert_eq!(got.fields.len(), 3, "set replaced the document: {:?}", got.fields);
        assert_eq!(got.fields["i"], int(11));
        let Value::TimestampValue(at) = got.fields["at"] else { panic!("server timestamp: {:?}", got.fields["at"]) };
        assert_eq!(get_path(&got.fields, "nested.at"), Some(&got.fields["at"]));
        // REQUEST_TIME is the commit time on SQLite (equal to update_time). The Firestore
        // emulator takes it at request arrival, truncated to milliseconds, so it is 0-2 ms
        // before update_time there.
        assert!(
            at <= got.update_time && got.update_time - at < chrono::Duration::milliseconds(50),
            "server timestamp {at} vs update_time {}",
            got.update_time
        );
        let slack = chrono::Duration::seconds(5);
        assert!(at >= before - slack && at <= Utc::now() + slack, "server time {at} near {before}");

        // A merge with transforms.
        store
            .commit(vec![
                Write::merge(a.clone(), fields([("j", int(1))]))
                    .with_transform(FieldTransform::Increment("i".into(), int(1))),
            ])
            .await
            .unwrap();
        let got = store.get(&a, None).await.unwrap().unwrap();
        assert_eq!((got.fields["i"].clone(), got.fields["j"].clone()), (int(12), int(1)));
    }

    pub async fn transform_creates_missing(store: Store, root: &str) {
        let a = doc(root, "a");
        store
            .commit(vec![Write::transform(a.clone(), vec![FieldTransform::Increment("n".into(), int(1))])])
            .await
            .unwrap();
        let got = store.get(&a, None).await.unwrap().expect("a transform-only write creates the document");
        assert_eq!(got.fields, fields([("n", int(1))]));

        let b = doc(root, "b");
        let err = store
            .commit(vec![
                Write::transform(b.clone(), vec![FieldTransform::ServerTimestamp("t".into())])
                    .with_precondition(Precondition::Exists(true)),
            ])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound(_)), "{err:?}");
        assert_eq!(store.get(&b, None).await.unwrap(), None);

        // Transform-only write with no transforms at all still creates an empty document.
        let c = doc(root, "c");
        store.commit(vec![Write::transform(c.clone(), vec![])]).await.unwrap();
        assert_eq!(store.get(&c, None).await.unwrap().map(|d| d.fields), Some(fields([])));
    }

    pub async fn timestamps(store: Store, root: &str) {
        let a = doc(root, "a");
        let t = Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap();
        let early = Utc.timestamp_opt(-86_400 * 365, 1_000).unwrap();
        store
            .commit(vec![Write::set(
                a.clone(),
                fields([
                    ("t", Value::timestamp(t)),
                    ("early", Value::timestamp(early)),
                    ("list", Value::array(vec![Value::timestamp(t)])),
                ]),
            )])
            .await
            .unwrap();
        let got = store.get(&a, None).await.unwrap().unwrap();
        assert_eq!(got.fields["t"], Value::TimestampValue(t));
        assert_eq!(got.fields["early"], Value::TimestampValue(early));
        assert_eq!(got.fields["list"], Value::array(vec![Value::TimestampValue(t)]));
        // Timestamps order and filter as timestamps.
        let b = doc(root, "b");
        store
            .commit(vec![Write::set(
                b.clone(),
                fields([("t", Value::timestamp(t + chrono::Duration::microseconds(1)))]),
            )])
            .await
            .unwrap();
        let q = Query::new(coll(root)).filter("t", Op::Gt, Value::timestamp(t)).order_by("t", Direction::Desc);
        assert_eq!(ids(&store.query(&q).await.unwrap()), vec!["b"]);
        // Document times have microsecond precision.
        assert_eq!(got.update_time.timestamp_subsec_nanos() % 1_000, 0);
    }

    /// A timestamp built with nanoseconds (not through `Value::timestamp`) is stored at
    /// microsecond precision by Firestore.
    pub async fn timestamp_nanos_truncated(store: Store, root: &str) {
        let a = doc(root, "a");
        let t = Utc.timestamp_opt(1_700_000_000, 123_456_789).unwrap();
        store.commit(vec![Write::set(a.clone(), fields([("t", Value::TimestampValue(t))]))]).await.unwrap();
        let got = store.get(&a, None).await.unwrap().unwrap();
        assert_eq!(got.fields["t"], Value::TimestampValue(Utc.timestamp_opt(1_700_000_000, 123_456_000).unwrap()));
    }

    pub async fn unicode(store: Store, root: &str) {
        let id = "त्वरण-१";
        let a = doc(root, id);
        let latex = "\\frac{1}{2}mv^2";
        let body = fields([
            ("त्वरण", s("a = \\frac{dv}{dt}")),
            (latex, s("गतिज ऊर्जा")),
            ("map", Value::map(fields([("त्वरण", s(latex)), ("x.y", int(1))]))),
        ]);
        store.commit(vec![Write::set(a.clone(), body.clone())]).await.unwrap();
        let got = store.get(&a, None).await.unwrap().unwrap();
        assert_eq!(got.fields, body);
        assert_eq!(got.path.id(), id);

        // Masks, merges and transforms on non-identifier field names.
        let got = store.get(&a, Some(&["त्वरण", "map.त्वरण"])).await.unwrap().unwrap();
        assert_eq!(
            got.fields,
            fields([("त्वरण", s("a = \\frac{dv}{dt}")), ("map", Value::map(fields([("त्वरण", s(latex))])))])
        );
        store
            .commit(vec![
                Write::merge(a.clone(), fields([(latex, s("½mv²"))]))
                    .with_transform(FieldTransform::Increment("गिनती".into(), int(1))),
            ])
            .await
            .unwrap();
        let got = store.get(&a, Some(&[latex, "गिनती"])).await.unwrap().unwrap();
        assert_eq!(got.fields, fields([(latex, s("½mv²")), ("गिनती", int(1))]));

        let q = Query::new(coll(root)).filter("त्वरण", Op::Eq, s("a = \\frac{dv}{dt}")).select(&["map.त्वरण"]);
        let got = store.query(&q).await.unwrap();
        assert_eq!(ids(&got), vec![id]);
        assert_eq!(got[0].fields, fields([("map", Value::map(fields([("त्वरण", s(latex))])))]));

        // Strings order by UTF-8 bytes.
        let c = coll(&format!("{root}_order"));
        let words = ["त्वरण", "zebra", "Zebra", "éclair", "\\frac"];
        let writes = words
            .iter()
            .enumerate()
            .map(|(i, w)| Write::set(c.doc(&format!("w{i}")).unwrap(), fields([("w", s(w))])))
            .collect();
        store.commit(writes).await.unwrap();
        let got = store.query(&Query::new(c).order_by("w", Direction::Asc)).await.unwrap();
        let got: Vec<&str> = got.iter().map(|d| d.fields["w"].as_str().unwrap()).collect();
        let mut expected = words.to_vec();
        expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        assert_eq!(got, expected);
    }

    pub async fn metering(store: Store, root: &str) {
        let ((), usage) = metered(async {
            let a = doc(root, "a");
            store
                .commit(vec![Write::set(a.clone(), fields([("n", int(1))])), Write::set(doc(root, "b"), fields([]))])
                .await
                .unwrap();
            store.get(&a, None).await.unwrap();
            store.get(&doc(root, "missing"), Some(&["n"])).await.unwrap();
            store.get_all(&[a.clone(), doc(root, "missing"), doc(root, "b")], None).await.unwrap();
            store.query(&Query::new(coll(root))).await.unwrap();
            store.query(&Query::new(coll(root)).filter("n", Op::Eq, int(99))).await.unwrap();
            store.query(&Query::new(coll(root)).limit(1)).await.unwrap();
            store
                .commit(vec![
                    Write::transform(a.clone(), vec![FieldTransform::Increment("n".into(), int(1))]),
                    Write::delete(doc(root, "b")),
                    Write::delete(doc(root, "never")),
                ])
                .await
                .unwrap();
            let mut txn = store.begin().await.unwrap();
            txn.get_all(&[a.clone(), doc(root, "missing")]).await.unwrap();
            txn.commit(vec![Write::merge(a.clone(), fields([("m", int(2))]))]).await.unwrap();
            // A failed commit is billed as sent.
            let _ = store.commit(vec![Write::create(a.clone(), fields([]))]).await.unwrap_err();
        })
        .await;
        // writes: 2 + 1 + 1 + 1; deletes: 2; reads: 1 + 1 + 3 + 2 + 1 + 1 + 2.
        assert_eq!(usage, Usage { reads: 11, writes: 5, deletes: 2 });
    }
}

/// Instantiates every scenario for both backends.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::suite::$name(super::sqlite_store(), &super::unique_root(stringify!($name))).await;
                }
            )*
        }

        mod sqlite_file {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::suite::$name(super::sqlite_file_store(), &super::unique_root(stringify!($name))).await;
                }
            )*
        }

        mod firestore {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(store) = super::firestore_store().await else { return };
                    super::suite::$name(store, &super::unique_root(stringify!($name))).await;
                }
            )*
        }
    };
}

conformance!(
    crud,
    field_masks,
    get_all_order,
    query_filters,
    query_not_equal,
    query_inequality_implicit_order,
    query_order_limit,
    query_pagination,
    batched_writes,
    transactions_two,
    transactions_twenty,
    transaction_reads_and_rollback,
    transforms,
    transform_creates_missing,
    timestamps,
    timestamp_nanos_truncated,
    unicode,
    metering,
);

/// SQLite's optimistic transactions (both flavours): an open transaction holds no lock, so
/// another transaction on other documents commits meanwhile; a transaction whose read document
/// changed before its commit gets ABORTED and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_transactions_are_optimistic() {
    use shared::store::{StoreError, Write};
    for store in [sqlite_store(), sqlite_file_store()] {
        let root = unique_root("optimistic");
        let (a, b) = (doc(&root, "a"), doc(&root, "b"));
        store.commit(vec![Write::set(a.clone(), fields([("n", int(0))]))]).await.unwrap();
        let mut slow = store.begin().await.unwrap();
        assert_eq!(slow.get(&a).await.unwrap().unwrap().fields["n"], int(0));
        // Not blocked by the open transaction: another user's read-modify-write commits.
        let mut other = tokio::time::timeout(std::time::Duration::from_secs(2), store.begin()).await.unwrap().unwrap();
        assert!(other.get(&b).await.unwrap().is_none());
        other.commit(vec![Write::set(b.clone(), fields([("n", int(7))]))]).await.unwrap();
        // A plain write moves `a` under the open transaction: its commit must abort.
        store.commit(vec![Write::set(a.clone(), fields([("n", int(5))]))]).await.unwrap();
        let err = slow.commit(vec![Write::set(a.clone(), fields([("n", int(1))]))]).await.unwrap_err();
        assert!(matches!(err, StoreError::Aborted), "{err:?}");
        assert_eq!(store.get(&a, None).await.unwrap().unwrap().fields["n"], int(5));
        assert_eq!(store.get(&b, None).await.unwrap().unwrap().fields["n"], int(7));
        // A document deleted and created again is a change too.
        let mut stale = store.begin().await.unwrap();
        stale.get(&b).await.unwrap();
        store.commit(vec![Write::delete(b.clone())]).await.unwrap();
        store.commit(vec![Write::set(b.clone(), fields([("n", int(7))]))]).await.unwrap();
        let err = stale.commit(vec![Write::set(b.clone(), fields([("n", int(8))]))]).await.unwrap_err();
        assert!(matches!(err, StoreError::Aborted), "{err:?}");
    }
}
