//! How server functions' answers and errors travel: JSON, read back from a `&str`.
//!
//! server_fn's own `Json` decodes an answer with `serde_json::from_slice`, while a `Resource`
//! reads the same type out of the server-rendered page with `serde_json::from_str`. serde_json is
//! generic over its reader, so the wasm carried two copies of every answer type's deserializer;
//! decoding answers from a `&str` too leaves one. Every `#[server]` names it as its `output`.

use leptos::server_fn::{codec::Post, Bytes, ContentType, Decodes, Encodes, Format, FormatType};
use serde::{de::DeserializeOwned, Serialize};

/// JSON like server_fn's `JsonEncoding`, decoded through `serde_json::from_str`.
pub struct StrJsonEncoding;

/// The `output` encoding of every server function (a POST answered with [`StrJsonEncoding`]).
pub type Json = Post<StrJsonEncoding>;

impl ContentType for StrJsonEncoding {
    const CONTENT_TYPE: &'static str = "application/json";
}

impl FormatType for StrJsonEncoding {
    const FORMAT_TYPE: Format = Format::Text;
}

impl<T: Serialize> Encodes<T> for StrJsonEncoding {
    type Error = serde_json::Error;

    fn encode(output: &T) -> Result<Bytes, Self::Error> {
        serde_json::to_vec(output).map(Bytes::from)
    }
}

impl<T: DeserializeOwned> Decodes<T> for StrJsonEncoding {
    type Error = serde_json::Error;

    fn decode(bytes: Bytes) -> Result<T, Self::Error> {
        // Invalid UTF-8 is a JSON syntax error either way; report it as serde_json would.
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| <serde_json::Error as serde::de::Error>::custom("the answer is not UTF-8"))?;
        serde_json::from_str(text)
    }
}
