//! What every filter and test file shares: failures worded as Ansible words them, conversion
//! between template values and hearth's data model, Python's truthiness and type names.

use std::borrow::Cow;

use minijinja::value::ValueKind;
use minijinja::{Error, ErrorKind, Value};

/// A filter failure with Ansible's wording.
pub(crate) fn filter_error(msg: impl Into<Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

/// A template value as our data model (for filters that restructure data).
pub(crate) fn to_data(v: &Value) -> Result<hearth_formats::value::Value, Error> {
    serde_json::to_value(v).map_err(|e| filter_error(format!("cannot convert value: {e}")))
}

/// Our data model as a template value.
pub(crate) fn from_data(v: hearth_formats::value::Value) -> Value {
    Value::from(minijinja::value::Serde(v))
}

/// Python's truthiness (`bool(x)`): a non-empty string, even `"false"`, is true.
pub(crate) fn py_truthy(v: &Value) -> bool {
    v.is_true()
}

/// Ansible's `type_debug`: the Python type name.
pub(crate) fn type_debug(v: &Value) -> &'static str {
    match v.kind() {
        ValueKind::None | ValueKind::Undefined => "NoneType",
        ValueKind::Bool => "bool",
        ValueKind::Number if v.is_integer() => "int",
        ValueKind::Number => "float",
        ValueKind::String => "str",
        ValueKind::Map => "dict",
        _ => "list",
    }
}
