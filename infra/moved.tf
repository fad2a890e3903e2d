# Where each resource of infra/ went when the function, its API, role and log groups moved into
# modules/flask-function: Terraform moves them in the state, so an existing deployment is updated in place and
# nothing is destroyed or created again (tests/infra/test_upgrade.py plans this change against a deployment of the
# configuration before it).

moved {
  from = aws_cloudwatch_log_group.function
  to   = module.function.aws_cloudwatch_log_group.function
}

moved {
  from = aws_cloudwatch_log_group.access
  to   = module.function.aws_cloudwatch_log_group.access
}

moved {
  from = aws_lambda_layer_version.flask
  to   = module.function.aws_lambda_layer_version.this[0]
}

moved {
  from = aws_lambda_function.api
  to   = module.function.aws_lambda_function.this
}

moved {
  from = aws_lambda_alias.live
  to   = module.function.aws_lambda_alias.this
}

moved {
  from = aws_iam_role.function
  to   = module.function.aws_iam_role.this
}

moved {
  from = aws_iam_role_policy.function
  to   = module.function.aws_iam_role_policy.this
}

moved {
  from = aws_iam_policy.invoke
  to   = module.function.aws_iam_policy.invoke
}

moved {
  from = aws_apigatewayv2_api.http
  to   = module.function.aws_apigatewayv2_api.this
}

moved {
  from = aws_apigatewayv2_authorizer.jwt
  to   = module.function.aws_apigatewayv2_authorizer.jwt
}

moved {
  from = aws_apigatewayv2_integration.function
  to   = module.function.aws_apigatewayv2_integration.this
}

moved {
  from = aws_apigatewayv2_route.function
  to   = module.function.aws_apigatewayv2_route.this
}

moved {
  from = aws_apigatewayv2_stage.default
  to   = module.function.aws_apigatewayv2_stage.this
}

moved {
  from = aws_lambda_permission.api
  to   = module.function.aws_lambda_permission.api_gateway
}
