"""flask-lambda: run a plain Flask app on AWS Lambda, locally (`serve`, `invoke`) and packaged for deployment.

`flask_lambda.cli` is the command line; the modules beside it are the library it hands explicit objects to.
"""
