"""/healthz watches the task queue when tasks wait for a worker (TASKS_BACKEND=database): the
age of the oldest queued task, and 503 when it is older than TASK_QUEUE_MAX_AGE."""

import datetime

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from invoicing.proposals.tasks import billing_run_task

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("_tasks_queued_in_the_database"),
]


@pytest.fixture
def _tasks_queued_in_the_database():
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        yield


def queued_minutes_ago(minutes: int) -> None:
    queued = billing_run_task.enqueue(1, 1)
    DBTaskResult.objects.filter(pk=queued.id).update(
        enqueued_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


def test_an_empty_queue_is_healthy(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "queue": "ok",
        "oldest_queued_task_seconds": 0,
    }


def test_a_task_waiting_less_than_the_limit_is_reported_and_healthy(client, settings):
    settings.TASK_QUEUE_MAX_AGE = datetime.timedelta(minutes=15)
    queued_minutes_ago(5)
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert 300 <= response.json()["oldest_queued_task_seconds"] < 310


def test_a_task_waiting_longer_than_the_limit_answers_503(client, settings, user_with_role):
    """No worker takes work: the monitor must hear it, with a session cookie or without."""
    settings.TASK_QUEUE_MAX_AGE = datetime.timedelta(minutes=15)
    queued_minutes_ago(5)
    queued_minutes_ago(20)
    for logged_in in (False, True):
        if logged_in:
            client.force_login(user_with_role("finance_clerk"))
        response = client.get(reverse("health"))
        assert response.status_code == 503
        body = response.json()
        assert (body["status"], body["database"], body["queue"]) == ("unavailable", "ok", "stuck")
        assert 1200 <= body["oldest_queued_task_seconds"] < 1210


def test_a_task_finished_or_scheduled_later_is_not_waiting(client, settings):
    settings.TASK_QUEUE_MAX_AGE = datetime.timedelta(minutes=15)
    queued_minutes_ago(20)
    DBTaskResult.objects.update(status="SUCCESSFUL")
    assert client.get(reverse("health")).status_code == 200
