# terraform workspace select dev
assets_bucket    = "tomoda-assets-dev"
cloudfront_alias = "assets-dev.tomoda.life"
acm_cert_sans    = ["assets-dev.tomoda.life"]
