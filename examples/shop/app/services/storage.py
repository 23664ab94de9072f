import boto3

from app.config import MEDIA_BUCKET

s3 = boto3.client("s3")


def image_url(key: str) -> str:
    # Signing a URL is local work, no request to S3.
    return s3.generate_presigned_url("get_object", Params={"Bucket": MEDIA_BUCKET, "Key": key}, ExpiresIn=3600)
