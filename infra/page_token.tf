resource "terraform_data" "page_token_key" {
  # A random key without another provider: uuid() draws from a CSPRNG but changes on every run, so
  # the first value is kept (ignore_changes) and later plans see the same key. Rotate it with
  # terraform apply -replace=terraform_data.page_token_key.
  input = sensitive(replace("${uuid()}${uuid()}", "-", ""))

  lifecycle {
    ignore_changes = [input]
  }
}

locals {
  # The HMAC key that signs the users list's page tokens (PAGE_TOKEN_KEY).
  page_token_key = sensitive(var.page_token_key != null ? var.page_token_key : terraform_data.page_token_key.output)
}
