"""`customlabels serve`: the server with its APIs on one port."""

from pathlib import Path

import click

from customlabels.cli.main import CliState, settings_options


@click.command()
@settings_options
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--region", envvar="CUSTOMLABELS_REGION", help="Region reported in ARNs (default us-east-1).")
@click.option("--account-id", envvar="CUSTOMLABELS_ACCOUNT_ID", help="12-digit account id reported in ARNs.")
@click.option("--s3-access-key-id", envvar="CUSTOMLABELS_S3_ACCESS_KEY_ID", help="Key for --s3-endpoint (default: the API key).")
@click.option("--s3-secret-access-key", envvar="CUSTOMLABELS_S3_SECRET_ACCESS_KEY")
@click.option("--embedded-s3", is_flag=True, help="Start a local SeaweedFS S3 server in the data folder and use it.")
@click.option("--s3-port", default=8333, show_default=True, type=int, help="Port of the --embedded-s3 server.")
@click.pass_obj
def serve(
    state: CliState,
    host: str,
    port: int,
    region: str | None,
    account_id: str | None,
    s3_access_key_id: str | None,
    s3_secret_access_key: str | None,
    embedded_s3: bool,
    s3_port: int,
) -> None:
    """Run the server (AWS API at /) until interrupted."""
    import uvicorn

    from customlabels.credentials import load_credentials
    from customlabels.server import create_app

    state.overrides.update(region=region, account_id=account_id, s3_access_key_id=s3_access_key_id, s3_secret_access_key=s3_secret_access_key)
    settings = state.settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    credentials = load_credentials(settings)
    seaweed = None
    if embedded_s3:
        from customlabels.store.seaweed import SeaweedServer

        seaweed = SeaweedServer(settings.data_dir / "s3", credentials.access_key_id, credentials.secret_access_key, port=s3_port)
        seaweed.start()
        settings = settings.model_copy(update={"s3_endpoint": seaweed.endpoint_url})
    _welcome(state, settings.data_dir, host, port, credentials, settings.s3_endpoint)
    try:
        uvicorn.run(create_app(settings, credentials), host=host, port=port, log_level="info")
    finally:
        if seaweed is not None:
            seaweed.stop()


def _welcome(state: CliState, data_dir: Path, host: str, port: int, credentials, s3_endpoint: str | None) -> None:  # type: ignore[no-untyped-def]
    url = f"http://{host}:{port}"
    where = f"S3 store {s3_endpoint}" if s3_endpoint else f"local buckets in {data_dir / 'buckets'}"
    made = " (new, kept in credentials.json)" if credentials.created else ""
    state.output.say(
        f"[bold]customlabels[/bold] on {url}  ·  console {url}/console  ·  data in {data_dir}  ·  {where}\n"
        f"  AWS_ACCESS_KEY_ID={credentials.access_key_id}{made}\n"
        f"  AWS_SECRET_ACCESS_KEY={credentials.secret_access_key}\n"
        f"  AWS_ENDPOINT_URL_REKOGNITION={url}"
        + (f"\n  AWS_ENDPOINT_URL_S3={s3_endpoint}" if s3_endpoint else "")
    )
