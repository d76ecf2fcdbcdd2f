"""Code that calls a model from outside the console: boto3, the AWS CLI and curl."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Snippet:
    title: str
    language: str
    code: str


def snippets(*, endpoint: str, region: str, version_arn: str, project: str, model: str) -> list[Snippet]:
    boto3 = f'''import boto3

rekognition = boto3.client("rekognition", endpoint_url="{endpoint}", region_name="{region}")
with open("image.jpg", "rb") as image:
    response = rekognition.detect_custom_labels(
        ProjectVersionArn="{version_arn}",
        Image={{"Bytes": image.read()}},
    )
for label in response["CustomLabels"]:
    print(label["Name"], round(label["Confidence"], 1), label.get("Geometry"))'''
    cli = f"""aws rekognition detect-custom-labels --endpoint-url {endpoint} --region {region} \\
    --project-version-arn "{version_arn}" \\
    --image-bytes fileb://image.jpg"""
    curl_rest = f"""curl -u "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \\
    -F image=@image.jpg -F min_confidence=50 \\
    {endpoint}/api/v1/projects/{project}/models/{model}/detect"""
    curl_aws = f"""curl --aws-sigv4 "aws:amz:{region}:rekognition" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \\
    -H "Content-Type: application/x-amz-json-1.1" -H "X-Amz-Target: RekognitionService.DetectCustomLabels" \\
    -d "{{\\"ProjectVersionArn\\": \\"{version_arn}\\", \\"Image\\": {{\\"Bytes\\": \\"$(base64 -w0 image.jpg)\\"}}}}" \\
    {endpoint}/"""
    return [
        Snippet("Python (boto3)", "python", boto3),
        Snippet("AWS CLI", "shell", cli),
        Snippet("curl, REST API", "shell", curl_rest),
        Snippet("curl, AWS API (SigV4)", "shell", curl_aws),
    ]
