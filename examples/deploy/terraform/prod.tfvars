# terraform workspace select default
assets_bucket    = "tomoda-assets-prod"
cloudfront_alias = "assets.tomoda.life"
acm_cert_sans    = ["assets.tomoda.life"]
