//! Values read from the configuration files a team deploys with (Helm
//! values, Kubernetes manifests, Terraform variables, JSON, TOML, `.env`):
//! each format read into one tree that knows where each value was written,
//! and a path language to find a value in it. No I/O.

pub mod path;
