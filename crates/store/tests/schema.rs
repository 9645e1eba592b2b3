//! The SQLite and PostgreSQL migrations make the same schema: the same tables, columns (with
//! the same kind of type and nullability) and named indexes.

mod support;

use grassroots_store::{ColumnKind, Inspect};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs GRASSROOTS_TEST_POSTGRES_URL; .ci/run runs these"]
async fn sqlite_and_postgres_schemas_match() {
    let sqlite = support::sqlite_db().await.store.schema().await.unwrap();
    let postgres = support::postgres_db().await.store.schema().await.unwrap();
    assert!(sqlite.contains_key("cases") && sqlite.contains_key("events"), "{:?}", sqlite.keys());
    for (name, schema) in [("SQLite", &sqlite), ("PostgreSQL", &postgres)] {
        for (table, shape) in schema {
            for (column, c) in &shape.columns {
                assert_ne!(
                    c.kind,
                    ColumnKind::Other,
                    "{name}: {table}.{column} has a type the comparison does not know"
                );
            }
        }
    }
    let tables = |s: &grassroots_store::Schema| s.keys().cloned().collect::<Vec<_>>();
    assert_eq!(tables(&sqlite), tables(&postgres), "tables");
    for (table, shape) in &sqlite {
        let other = &postgres[table];
        assert_eq!(shape.columns, other.columns, "columns of {table}");
        assert_eq!(shape.indexes, other.indexes, "indexes of {table}");
    }
}
