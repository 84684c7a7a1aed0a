"""Email campaigns: pick a provider, prepare the campaign there, send it."""

from __future__ import annotations

import os
import random
import uuid

import mailer
from dbos import DBOS, DBOSConfig, SetWorkflowID


@DBOS.step()
def choose_provider_and_token() -> tuple[str, str]:
    # Random values come from a step: recorded once, the same on every replay.
    return random.choice(["mailgun", "sendgrid"]), str(uuid.uuid4())


@DBOS.step()
def prepare(provider: str, campaign_id: str, token: str) -> None:
    mailer.prepare(provider, campaign_id, token)


@DBOS.step()
def send(provider: str, campaign_id: str, token: str) -> None:
    mailer.send(provider, campaign_id, token)


@DBOS.workflow()
def send_campaign(campaign_id: str) -> str:
    provider, token = choose_provider_and_token()  # spread the load; an unguessable unsubscribe token
    prepare(provider, campaign_id, token)
    send(provider, campaign_id, token)
    return f"{provider}:{token}"


def start_campaign(campaign_id: str) -> str:
    with SetWorkflowID(f"campaign-{campaign_id}"):
        return DBOS.start_workflow(send_campaign, campaign_id).workflow_id


def launch_app() -> None:
    config: DBOSConfig = {
        "name": "campaigns",
        "system_database_url": os.environ.get("DBOS_SYSTEM_DATABASE_URL"),
    }
    DBOS(config=config)
    DBOS.launch()
