"""Cloud provisioning: pick, launch, list and remove GPU instances on AWS and Azure.

Installed as ``envdoctor.cloud``. Heavy SDKs (boto3, the Azure SDK) are imported only
inside the commands that need them, never when ``envdoctor`` starts.
"""
