//! The SNS API in its Query protocol (a form-encoded POST with `Action=...`, answered in XML),
//! signed for `sns`, IAM actions `sns:<Action>` on the topic's ARN, so `aws sns --endpoint-url`
//! and boto3 work: topics, subscriptions by e-mail and HTTP(S) confirmed as SNS confirms them,
//! and Publish. `GET /sns/confirm` is the link a confirmation request carries.
use super::error::{ApiError, ApiResult};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use engine::notify::topics::Subscription;
use serde_json::{Map, Value};

pub const SIGNING_NAME: &str = "sns";
pub const EVENT_SOURCE: &str = "sns.amazonaws.com";
const XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    CreateTopic,
    DeleteTopic,
    ListTopics,
    GetTopicAttributes,
    Subscribe,
    ConfirmSubscription,
    Unsubscribe,
    ListSubscriptionsByTopic,
    Publish,
}

const OPERATIONS: [(Operation, &str); 9] = [
    (Operation::CreateTopic, "CreateTopic"),
    (Operation::DeleteTopic, "DeleteTopic"),
    (Operation::ListTopics, "ListTopics"),
    (Operation::GetTopicAttributes, "GetTopicAttributes"),
    (Operation::Subscribe, "Subscribe"),
    (Operation::ConfirmSubscription, "ConfirmSubscription"),
    (Operation::Unsubscribe, "Unsubscribe"),
    (Operation::ListSubscriptionsByTopic, "ListSubscriptionsByTopic"),
    (Operation::Publish, "Publish"),
];

impl Operation {
    pub fn name(self) -> &'static str {
        OPERATIONS.iter().find(|(op, _)| *op == self).map_or("", |(_, name)| name)
    }

    /// The operation a form body's `Action` names; `UnknownOperationException` for any other.
    pub fn of_form(input: &Value) -> ApiResult<Operation> {
        let action = input["Action"].as_str().unwrap_or_default();
        OPERATIONS
            .iter()
            .find(|(_, name)| *name == action)
            .map(|(op, _)| *op)
            .ok_or_else(|| ApiError::new("UnknownOperationException", format!("Action {action:?} is not supported.")))
    }

    pub fn iam_action(self) -> String {
        format!("sns:{}", self.name())
    }

    /// The topic's ARN (`*` for ListTopics).
    pub fn resource_arn(self, input: &Value, account: &engine::Account) -> String {
        let text = |key: &str| input[key].as_str().unwrap_or_default().to_owned();
        match self {
            Operation::ListTopics => "*".into(),
            Operation::CreateTopic => format!("arn:aws:sns:{}:{}:{}", account.region, account.id, text("Name")),
            Operation::Unsubscribe => {
                text("SubscriptionArn").rsplit_once(':').map(|(t, _)| t.to_owned()).unwrap_or_default()
            }
            Operation::Publish if input.get("TopicArn").is_none() => text("TargetArn"),
            _ => text("TopicArn"),
        }
    }
}

/// Whether the request is in the Query protocol: a form body and no `X-Amz-Target`.
pub fn is_query(headers: &HeaderMap) -> bool {
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    !headers.contains_key("x-amz-target") && content_type.starts_with("application/x-www-form-urlencoded")
}

/// The form's parameters as a JSON object of strings (the audit trail's and the policy check's view).
pub fn form_json(body: &[u8]) -> Value {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    Value::Object(pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect::<Map<_, _>>())
}

fn required<'a>(input: &'a Value, key: &str) -> ApiResult<&'a str> {
    input[key]
        .as_str()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::new("InvalidParameterException", format!("Invalid parameter: {key} is required.")))
}

/// Runs the operation; the answer is the XML of its `<...Result>` element (empty for none).
pub async fn dispatch(state: &AppState, operation: Operation, input: &Value) -> ApiResult<Value> {
    let engine = &state.engine;
    let topic = || engine.topic_of_arn(input["TopicArn"].as_str().unwrap_or_default());
    let xml = match operation {
        Operation::CreateTopic => {
            let arn = engine.create_topic(required(input, "Name")?).await?;
            result("CreateTopic", &leaf("TopicArn", &arn))
        }
        Operation::DeleteTopic => {
            engine.delete_topic(&topic()?).await?;
            String::new()
        }
        Operation::ListTopics => {
            let members: String = engine
                .topics()
                .await?
                .iter()
                .map(|t| node("member", &leaf("TopicArn", &engine.topic_arn(&t.name))))
                .collect();
            result("ListTopics", &format!("<Topics>{members}</Topics>"))
        }
        Operation::GetTopicAttributes => {
            let topic = engine.topic(&topic()?).await?;
            let attributes = [
                ("TopicArn", engine.topic_arn(&topic.name)),
                ("Owner", engine.account().id.clone()),
                ("DisplayName", String::new()),
                ("SubscriptionsConfirmed", topic.confirmed.to_string()),
                ("SubscriptionsPending", topic.pending.to_string()),
                ("SubscriptionsDeleted", "0".into()),
            ];
            let entries: String = attributes
                .iter()
                .map(|(key, value)| node("entry", &(leaf("key", key) + &leaf("value", value))))
                .collect();
            result("GetTopicAttributes", &format!("<Attributes>{entries}</Attributes>"))
        }
        Operation::Subscribe => {
            let protocol = required(input, "Protocol")?;
            let endpoint = required(input, "Endpoint")?;
            let subscription = engine.subscribe_to_topic(&topic()?, protocol, endpoint).await?;
            let arn = match (subscription.confirmed, input["ReturnSubscriptionArn"].as_str()) {
                (false, Some("true")) => format!("{}:{}", engine.topic_arn(&subscription.topic), subscription.id),
                (false, _) => "pending confirmation".into(),
                (true, _) => engine.subscription_arn(&subscription),
            };
            result("Subscribe", &leaf("SubscriptionArn", &arn))
        }
        Operation::ConfirmSubscription => {
            let subscription = engine.confirm_subscription(&topic()?, required(input, "Token")?).await?;
            result("ConfirmSubscription", &leaf("SubscriptionArn", &engine.subscription_arn(&subscription)))
        }
        Operation::Unsubscribe => {
            engine.unsubscribe(required(input, "SubscriptionArn")?).await?;
            String::new()
        }
        Operation::ListSubscriptionsByTopic => {
            let members: String = engine.subscriptions(&topic()?).await?.iter().map(|s| member(state, s)).collect();
            result("ListSubscriptionsByTopic", &format!("<Subscriptions>{members}</Subscriptions>"))
        }
        Operation::Publish => {
            let arn = input["TopicArn"].as_str().or(input["TargetArn"].as_str()).unwrap_or_default();
            let topic = engine.topic_of_arn(arn)?;
            let id = engine.publish(&topic, input["Subject"].as_str(), required(input, "Message")?).await?;
            result("Publish", &leaf("MessageId", &id))
        }
    };
    Ok(Value::String(xml))
}

fn member(state: &AppState, subscription: &Subscription) -> String {
    let engine = &state.engine;
    let fields = leaf("TopicArn", &engine.topic_arn(&subscription.topic))
        + &leaf("Protocol", subscription.protocol.as_str())
        + &leaf("SubscriptionArn", &engine.subscription_arn(subscription))
        + &leaf("Owner", &engine.account().id)
        + &leaf("Endpoint", &subscription.endpoint);
    node("member", &fields)
}

fn result(operation: &str, xml: &str) -> String {
    node(&format!("{operation}Result"), xml)
}

/// `<name>text</name>`, the text escaped.
fn leaf(name: &str, text: &str) -> String {
    format!("<{name}>{}</{name}>", escape(text))
}

/// `<name>xml</name>` around elements already made.
fn node(name: &str, xml: &str) -> String {
    format!("<{name}>{xml}</{name}>")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&apos;")
}

/// The XML answer: `<OperationResponse>` around the result, or SNS's `<ErrorResponse>`.
pub fn response(operation: &str, request_id: &str, outcome: Result<Value, (StatusCode, String, String)>) -> Response {
    let request_id = escape(request_id);
    let (status, body) = match outcome {
        Ok(result) => {
            let inner = result.as_str().unwrap_or_default().to_owned();
            let body = format!(
                "<{operation}Response xmlns=\"{XMLNS}\">{inner}<ResponseMetadata><RequestId>{request_id}</RequestId>\
                 </ResponseMetadata></{operation}Response>"
            );
            (StatusCode::OK, body)
        }
        Err((status, exception, message)) => {
            let code = sns_code(&exception);
            let status = match code {
                "NotFound" => StatusCode::NOT_FOUND,
                "AuthorizationError"
                | "SignatureDoesNotMatch"
                | "InvalidClientTokenId"
                | "MissingAuthenticationToken" => StatusCode::FORBIDDEN,
                _ => status,
            };
            let kind = if status.is_server_error() { "Receiver" } else { "Sender" };
            let body = format!(
                "<ErrorResponse xmlns=\"{XMLNS}\"><Error><Type>{kind}</Type><Code>{}</Code><Message>{}</Message>\
                 </Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                escape(code),
                escape(&message)
            );
            (status, body)
        }
    };
    let mut response = (status, body).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static("text/xml"));
    response
}

/// SNS's error code for an exception the engine's refusals and the API's checks are named by.
fn sns_code(exception: &str) -> &str {
    match exception {
        "ResourceNotFoundException" => "NotFound",
        "ValidationException" | "InvalidParameterException" => "InvalidParameter",
        "AccessDeniedException" => "AuthorizationError",
        "UnknownOperationException" => "InvalidAction",
        "InvalidSignatureException" => "SignatureDoesNotMatch",
        "UnrecognizedClientException" => "InvalidClientTokenId",
        "MissingAuthenticationTokenException" => "MissingAuthenticationToken",
        other => other,
    }
}

#[derive(serde::Deserialize)]
pub struct ConfirmLink {
    #[serde(rename = "TopicArn")]
    topic_arn: String,
    #[serde(rename = "Token")]
    token: String,
}

/// The confirmation link's page: the token is the credential, as with SNS's SubscribeURL.
pub async fn confirm_link(State(state): State<AppState>, Query(link): Query<ConfirmLink>) -> Response {
    let confirmed = match state.engine.topic_of_arn(&link.topic_arn) {
        Ok(topic) => state.engine.confirm_subscription(&topic, &link.token).await,
        Err(err) => Err(err),
    };
    match confirmed {
        Ok(subscription) => {
            let arn = escape(&state.engine.subscription_arn(&subscription));
            Html(format!(
                "<!doctype html><title>Subscription confirmed</title><h1>Subscription confirmed</h1><p>{arn}</p>"
            ))
            .into_response()
        }
        Err(err) => {
            let (status, _, body) = ApiError::from(err).parts();
            let message = escape(body["message"].as_str().unwrap_or_default());
            (status, Html(format!("<!doctype html><title>Not confirmed</title><h1>Not confirmed</h1><p>{message}</p>")))
                .into_response()
        }
    }
}
