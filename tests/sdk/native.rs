//! Native InvokeModel formats through the SDK.
