//! Rule targets on AWS, with moto's server as AWS: a failing pipeline's event is published to an
//! SNS topic of another account and put on its event bus, both signed with the server's AWS
//! credentials, and seen arriving in SQS queues subscribed there. Without credentials such targets
//! are refused at PutTargets with the reason. On SQLite and PostgreSQL.
mod common;

use common::moto::{Moto, MOTO_ACCOUNT};
use common::services::create_failing_pipeline;
use common::{TestServer, BACKENDS, REGION};
use serde_json::json;
use server::config::{AwsArgs, NotifyArgs};

fn through(moto: &Moto) -> NotifyArgs {
    let aws = AwsArgs {
        aws_endpoint_url: Some(moto.url.clone()),
        aws_access_key_id: Some("test".into()),
        aws_secret_access_key: Some("test".into()),
        ..AwsArgs::default()
    };
    NotifyArgs { aws, ..NotifyArgs::default() }
}

#[tokio::test]
async fn events_reach_sns_topics_and_event_buses_on_aws() {
    for backend in BACKENDS {
        let moto = Moto::start().await;
        let created = moto.query("sns", &[("Action", "CreateTopic"), ("Name", "ops")]).await;
        let topic_arn = format!("arn:aws:sns:{REGION}:{MOTO_ACCOUNT}:ops");
        assert!(created.text.contains(&topic_arn), "{}", created.text);
        let (topic_queue, topic_queue_arn) = moto.queue("from-topic").await;
        let subscribe =
            [("Action", "Subscribe"), ("TopicArn", &topic_arn), ("Protocol", "sqs"), ("Endpoint", &topic_queue_arn)];
        moto.query("sns", &subscribe).await;
        let (bus_queue, bus_queue_arn) = moto.queue("from-bus").await;
        let pattern = json!({ "source": ["sluice.aws.codepipeline"] }).to_string();
        moto.json("events", "AWSEvents.PutRule", json!({ "Name": "from-sluice", "EventPattern": pattern })).await;
        let target = json!({ "Rule": "from-sluice", "Targets": [{ "Id": "q", "Arn": bus_queue_arn }] });
        moto.json("events", "AWSEvents.PutTargets", target).await;

        let server = TestServer::start_with_mail(backend, through(&moto)).await;
        let pattern = json!({ "detail-type": ["CodePipeline Pipeline Execution State Change"], "detail": { "state": ["FAILED"] } });
        server.events("PutRule", json!({ "Name": "to-aws", "EventPattern": pattern.to_string() })).await;
        let bus_arn = format!("arn:aws:events:{REGION}:{MOTO_ACCOUNT}:event-bus/default");
        let targets = json!([{ "Id": "topic", "Arn": topic_arn }, { "Id": "bus", "Arn": bus_arn }]);
        let put = server.events("PutTargets", json!({ "Rule": "to-aws", "Targets": targets })).await;
        assert_eq!((put.status, &put.json["FailedEntryCount"]), (200, &json!(0)), "{}", put.text);
        create_failing_pipeline(&server, "broken", json!([])).await;

        let published = moto.receive(&topic_queue).await;
        let notification: serde_json::Value = serde_json::from_str(&published[0]).unwrap();
        let event: serde_json::Value = serde_json::from_str(notification["Message"].as_str().unwrap()).unwrap();
        assert_eq!((&event["source"], &event["detail"]["pipeline"]), (&json!("aws.codepipeline"), &json!("broken")));
        let put_on_bus = moto.receive(&bus_queue).await;
        let event: serde_json::Value = serde_json::from_str(&put_on_bus[0]).unwrap();
        assert_eq!(event["source"], "sluice.aws.codepipeline");
        assert_eq!((&event["detail"]["pipeline"], &event["detail"]["state"]), (&json!("broken"), &json!("FAILED")));
        server.stop().await;

        // Without AWS credentials the same targets cannot be reached, and PutTargets says why.
        let plain = TestServer::start(backend).await;
        plain.events("PutRule", json!({ "Name": "to-aws", "EventPattern": pattern.to_string() })).await;
        let refused = plain.events("PutTargets", json!({ "Rule": "to-aws", "Targets": targets })).await;
        assert_eq!(refused.error_type(), "ValidationException", "{}", refused.text);
        assert!(
            refused.json["message"].as_str().unwrap().contains("no AWS endpoint and credentials"),
            "{}",
            refused.text
        );
        plain.stop().await;
    }
}
