//! The run history query: filters, paging and its speed at 10,000 executions, on both backends.
use crate::runs::{ExecutionRow, ExecutionType, SourceRevisionOverride};
use crate::store::executions::{insert_execution, search_executions, HistoryFilter};
use crate::testing::{TestDatabase, BACKENDS};
use crate::Store;
use model::{ExecutionMode, PipelineExecutionStatus as P, TriggerType};
use std::time::Instant;

const RUNS: i64 = 10_000;
const DAY: i64 = 86_400_000;

fn execution(seq: i64) -> ExecutionRow {
    let status = match seq % 10 {
        0 => P::Failed,
        1 => P::Stopped,
        _ => P::Succeeded,
    };
    let trigger = if seq % 2 == 0 { TriggerType::StartPipelineExecution } else { TriggerType::CloudWatchEvent };
    ExecutionRow {
        execution_id: format!("exec-{seq:05}"),
        pipeline_name: "big".into(),
        pipeline_version: 1,
        seq,
        status,
        status_summary: None,
        trigger_type: trigger,
        trigger_detail: if seq == 4242 { "deploy hotfix_42%".into() } else { "user".into() },
        started_by: None,
        retried_by: Vec::new(),
        execution_mode: ExecutionMode::Superseded,
        execution_type: ExecutionType::Standard,
        rollback_target: None,
        variables: Vec::new(),
        source_revisions: vec![SourceRevisionOverride::pin("Source", "S3", &format!("rev-{seq}"))],
        client_request_token: None,
        stop_reason: (status == P::Stopped).then(|| "stopped by the test".into()),
        stop_abandon: false,
        current_stage: 0,
        created_ms: seq * DAY / 100,
        updated_ms: seq * DAY / 100 + 1000,
    }
}

#[tokio::test]
async fn history_filters_and_pages_ten_thousand_executions_quickly() {
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let store = Store::connect(&db.url).await.unwrap();
        {
            let mut tx = store.begin().await.unwrap();
            for seq in 1..=RUNS {
                insert_execution(&mut tx, &execution(seq)).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
        let mut conn = store.conn().await.unwrap();
        let started = Instant::now();
        let newest = search_executions(&mut conn, "big", &HistoryFilter::default(), None, 50).await.unwrap();
        assert_eq!(newest.first().map(|e| e.seq), Some(RUNS));
        assert_eq!(newest.len(), 50);
        let next =
            search_executions(&mut conn, "big", &HistoryFilter::default(), Some(newest[49].seq), 50).await.unwrap();
        assert_eq!(next.first().map(|e| e.seq), Some(RUNS - 50), "the next page starts right below");

        let failed = HistoryFilter { status: Some(P::Failed), ..Default::default() };
        let rows = search_executions(&mut conn, "big", &failed, None, 50).await.unwrap();
        assert!(rows.len() == 50 && rows.iter().all(|e| e.status == P::Failed));

        let stopped_by_cloudwatch = HistoryFilter {
            status: Some(P::Stopped),
            trigger: Some(TriggerType::CloudWatchEvent),
            ..Default::default()
        };
        let rows = search_executions(&mut conn, "big", &stopped_by_cloudwatch, None, 50).await.unwrap();
        assert!(
            rows.iter().all(|e| e.status == P::Stopped && e.trigger_type == TriggerType::CloudWatchEvent)
                && rows.len() == 50
        );

        // Day 30 holds seqs 3000..3099.
        let one_day = HistoryFilter { from_ms: Some(30 * DAY), until_ms: Some(31 * DAY), ..Default::default() };
        let rows = search_executions(&mut conn, "big", &one_day, None, 500).await.unwrap();
        assert_eq!(
            (rows.len(), rows.first().map(|e| e.seq), rows.last().map(|e| e.seq)),
            (100, Some(3099), Some(3000))
        );

        // Text matches case-insensitively, and % is a character, not a wildcard.
        let text = |t: &str| HistoryFilter { text: Some(t.into()), ..Default::default() };
        let rows = search_executions(&mut conn, "big", &text("HOTFIX_42%"), None, 50).await.unwrap();
        assert_eq!(rows.iter().map(|e| e.seq).collect::<Vec<_>>(), [4242]);
        let rows = search_executions(&mut conn, "big", &text("rev-9999\""), None, 50).await.unwrap();
        assert_eq!(rows.iter().map(|e| e.seq).collect::<Vec<_>>(), [9999]);
        assert!(search_executions(&mut conn, "big", &text("hotfix%42"), None, 50).await.unwrap().is_empty());

        // The slowest: a text that matches nothing scans all 10,000.
        let elapsed = started.elapsed();
        assert!(elapsed.as_millis() < 2000, "{backend:?}: the history queries took {elapsed:?}");
        println!("{backend:?}: history queries over {RUNS} executions took {elapsed:?}");
        drop(conn);
        db.cleanup().await;
    }
}
