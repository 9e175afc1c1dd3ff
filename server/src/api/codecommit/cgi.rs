//! `git http-backend` run as a CGI program: one child process per request, with the CGI
//! variables and nothing else in its environment (none of the server's), the request body
//! streamed to its standard input and its output streamed back as the response. A gzip-encoded
//! body (git sends large fetch negotiations that way) is passed on as is, with
//! `HTTP_CONTENT_ENCODING`: http-backend inflates it itself.
use axum::body::Body;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use futures_util::StreamExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::task::JoinHandle;

/// The CGI headers of a response are a few lines; more is not git talking.
const MAX_HEADER_BYTES: usize = 64 * 1024;

/// What http-backend is told of one request.
pub struct CgiRequest<'a> {
    pub method: &'a str,
    /// `/<name>.git/info/refs`, `/<name>.git/git-upload-pack`, ...
    pub path_info: String,
    pub query: &'a str,
    pub headers: &'a axum::http::HeaderMap,
    /// The authenticated user: http-backend allows receive-pack only when it is set.
    pub remote_user: &'a str,
    pub remote_addr: String,
}

/// Starts http-backend on `project_root` for the request. Returns the response (its body
/// streams while the process runs) and a handle that resolves when the process has exited.
pub async fn run(
    project_root: &Path,
    request: CgiRequest<'_>,
    body: Body,
) -> std::io::Result<(Response, JoinHandle<Option<ExitStatus>>)> {
    let mut command = engine::repos::git::command();
    command
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", project_root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("GATEWAY_INTERFACE", "CGI/1.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .env("REQUEST_METHOD", request.method)
        .env("PATH_INFO", &request.path_info)
        .env("QUERY_STRING", request.query)
        .env("REMOTE_USER", request.remote_user)
        .env("REMOTE_ADDR", &request.remote_addr);
    let header = |name: &str| request.headers.get(name).and_then(|v| v.to_str().ok());
    for (header_name, variable) in [
        ("content-type", "CONTENT_TYPE"),
        ("content-length", "CONTENT_LENGTH"),
        ("content-encoding", "HTTP_CONTENT_ENCODING"),
        ("git-protocol", "HTTP_GIT_PROTOCOL"),
    ] {
        if let Some(value) = header(header_name) {
            command.env(variable, value);
        }
    }
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn()?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(std::io::Error::other("http-backend started without its pipes"));
    };
    // The body is fed while the output is read: a large push must not deadlock on full pipes.
    tokio::spawn(async move {
        let mut chunks = body.into_data_stream();
        while let Some(chunk) = chunks.next().await {
            let Ok(chunk) = chunk else { break };
            if stdin.write_all(&chunk).await.is_err() {
                break;
            }
        }
        // Dropping stdin is the end of the request for http-backend.
    });
    tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.take(MAX_HEADER_BYTES as u64).read_to_string(&mut text).await;
        if !text.trim().is_empty() {
            tracing::warn!(stderr = %text.trim(), "git http-backend");
        }
    });
    let finished = tokio::spawn(async move { child.wait().await.ok() });
    let mut output = BufReader::new(stdout);
    let (status, headers) = read_headers(&mut output).await?;
    let mut response = Response::new(Body::from_stream(tokio_util::io::ReaderStream::new(output)));
    *response.status_mut() = status;
    response.headers_mut().extend(headers);
    Ok((response, finished))
}

/// The CGI header block: `Status: 404 Not Found` and ordinary headers, up to an empty line.
async fn read_headers(
    output: &mut BufReader<tokio::process::ChildStdout>,
) -> std::io::Result<(StatusCode, Vec<(HeaderName, HeaderValue)>)> {
    let mut status = StatusCode::OK;
    let mut headers = Vec::new();
    let mut read = 0;
    loop {
        let mut line = String::new();
        let n = output.read_line(&mut line).await?;
        read += n;
        if n == 0 || read > MAX_HEADER_BYTES {
            return Err(std::io::Error::other("http-backend ended before its headers did"));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            return Ok((status, headers));
        }
        let Some((name, value)) = line.split_once(':') else { continue };
        let value = value.trim();
        if name.eq_ignore_ascii_case("status") {
            let code = value.split_whitespace().next().and_then(|c| c.parse::<u16>().ok());
            status = code.and_then(|c| StatusCode::from_u16(c).ok()).unwrap_or(StatusCode::BAD_GATEWAY);
        } else if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.trim()), HeaderValue::from_str(value)) {
            headers.push((name, value));
        }
    }
}
