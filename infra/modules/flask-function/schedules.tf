locals {
  has_schedules = length(var.schedules) > 0
  # The account the alias lives in, read from its ARN (arn:<partition>:lambda:<region>:<account>:function:...).
  account_id = split(":", aws_lambda_alias.this.arn)[4]
}

# The function's schedules, apart from any other function's: a schedule's name is its key.
resource "aws_scheduler_schedule_group" "this" {
  count = local.has_schedules ? 1 : 0

  name = local.schedule_group_name
  tags = var.tags
}

# EventBridge Scheduler assumes this role to invoke the alias, for this account's schedules of this group only.
data "aws_iam_policy_document" "assume_scheduler" {
  count = local.has_schedules ? 1 : 0

  statement {
    sid     = "SchedulerAssumesRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      # arn:<partition>:scheduler:<region>:<account>:schedule/<group>/<schedule>
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["${replace(aws_scheduler_schedule_group.this[0].arn, ":schedule-group/", ":schedule/")}/*"]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  count = local.has_schedules ? 1 : 0

  name                 = local.scheduler_role_name
  description          = "EventBridge Scheduler runs the scheduled commands of ${var.name}: it may invoke the function's ${var.alias_name} alias, nothing else."
  assume_role_policy   = data.aws_iam_policy_document.assume_scheduler[0].json
  max_session_duration = 3600
  tags                 = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  count = local.has_schedules ? 1 : 0

  statement {
    sid       = "InvokeAlias"
    actions   = ["lambda:InvokeFunction"]
    resources = [aws_lambda_alias.this.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  count = local.has_schedules ? 1 : 0

  name   = "${var.name}-invoke-alias"
  role   = aws_iam_role.scheduler[0].id
  policy = data.aws_iam_policy_document.scheduler[0].json
}

# Each schedule invokes the alias with the command event the layer runs (`flask <command>`). Scheduler invokes
# Lambda asynchronously: its retry policy covers delivering the event (throttling, Lambda unavailable); a command
# that fails (failOnError) is a function error, which Lambda's own asynchronous retries (two by default) run again.
resource "aws_scheduler_schedule" "this" {
  # checkov:skip=CKV_AWS_297:Scheduler encrypts the schedule (its command words, no secrets) with an AWS owned key; a customer managed key would add a monthly charge.
  for_each = var.schedules

  name                         = each.key
  group_name                   = aws_scheduler_schedule_group.this[0].name
  description                  = each.value.description
  schedule_expression          = each.value.expression
  schedule_expression_timezone = each.value.timezone
  state                        = each.value.enabled ? "ENABLED" : "DISABLED"

  # At the time given, not somewhere in a window after it.
  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_lambda_alias.this.arn
    role_arn = aws_iam_role.scheduler[0].arn
    input = jsonencode({
      "flask-lambda" = {
        command     = each.value.command
        failOnError = true
      }
    })

    # Delivery is retried for up to an hour, at most twice more: a run later than that is left to the next one.
    retry_policy {
      maximum_event_age_in_seconds = local.schedule_max_event_age_seconds
      maximum_retry_attempts       = local.schedule_max_retry_attempts
    }
  }

  # The role must be allowed to invoke before the first run.
  depends_on = [aws_iam_role_policy.scheduler]
}
