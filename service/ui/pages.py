"""The pages: log in and out, the worklist, a task with its form."""

from __future__ import annotations

import math

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .. import forms
from ..dossiers import queries as dossiers
from ..errors import NotFound
from ..identity import queries as identity
from ..identity import sessions, throttle
from ..identity.auth import check_csrf, cookie_session, current_user
from ..procedures import queries as catalogue
from ..tasks import queries as tasks
from ..tasks.permissions import require_task_actor
from ..tasks.queries import COMPLETED, OPEN
from . import bp, display, finding, formschema, history, i18n, pickers, safe_next, words, worklist
from .dossier_pages import slip_links


class LoginForm(FlaskForm):
    username = StringField(
        _l("Tên đăng nhập"),
        validators=[DataRequired(message=_l("Vui lòng nhập tên đăng nhập.")), Length(max=128)],
    )
    password = PasswordField(
        _l("Mật khẩu"), validators=[DataRequired(message=_l("Vui lòng nhập mật khẩu.")), Length(max=1024)]
    )


def fresh_cookie(secret: str | None = None) -> None:
    """An empty cookie session (holding the new session's secret, if any), keeping the language."""
    language = session.get(i18n.SESSION_KEY)
    session.clear()
    if secret:
        session[sessions.SESSION_KEY] = secret
    if language:
        session[i18n.SESSION_KEY] = language


@bp.route("/login", methods=["GET", "POST"])
def login():
    if cookie_session() is not None:
        return redirect(safe_next(request.args.get("next")))
    form = LoginForm()
    error, status = None, 200
    if form.validate_on_submit():
        guard = throttle.for_app()
        key = throttle.key(throttle.LOGIN, form.username.data, request.remote_addr)
        wait = guard.blocked_for(key)
        if not wait:
            started = sessions.log_in(
                form.username.data.strip(),
                form.password.data,
                user_agent=request.user_agent.string,
                remote_addr=request.remote_addr,
            )
            if started is not None:
                guard.success(key)
                fresh_cookie(started[1])
                return redirect(safe_next(request.args.get("next")))
            wait = guard.failure(key)
            error = _("Tên đăng nhập hoặc mật khẩu không đúng.")
        if wait:
            minutes = max(1, math.ceil(wait / 60))
            error = _(
                "Bạn đã đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(minutes)d phút.", minutes=minutes
            )
            status = 429
    elif form.errors.get("csrf_token"):
        error = _("Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại.")
        status = 400
    response = render_template("ui/login.html", form=form, error=error)
    if status == 429:
        return response, status, {"Retry-After": str(math.ceil(wait))}
    return response, status


@bp.post("/logout")
def logout():
    check_csrf()  # also done by authenticate() for session writes; kept here on purpose
    secret = session.get(sessions.SESSION_KEY)
    if isinstance(secret, str):
        sessions.log_out(secret, actor=current_user())  # a copy of the cookie stops working too
    fresh_cookie()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("ui.login"))


@bp.get("/", endpoint="worklist")
def worklist_page():
    filters = worklist.Filters.parse(request.args)
    user = current_user()
    page = worklist.load(user, filters)
    saved = finding.saved("worklist", user)
    return render_template("ui/worklist.html", filters=filters, page=page, saved=saved)


def _dossier_summary(instance) -> dict | None:
    dossier = dossiers.of_instance(instance.id)
    if dossier is None:
        return None
    return {
        "code": dossier.code,
        "procedure": f"{dossier.procedure.code}{display.DASH}{dossier.procedure.name}",
        "applicant": (dossier.applicant or {}).get("name"),
        "due_at": display.local_datetime(dossier.due_at),
        "appointed_at": display.local_datetime(dossier.appointed_at),
        "slips": slip_links(dossier),
        "status": dossier.status,
        "status_label": display.dossier_status(dossier.status),
        "paused": dossier.paused_at is not None,
        "url": url_for("ui.dossier", ref=dossier.code or str(dossier.id)),
    }


@bp.get("/tasks/<uuid:task_id>")
def task_page(task_id):
    from . import attachments as attachment_panel  # the uploads helper's panel (kept to this view)

    user = current_user()
    task, instance = tasks.get_with_instance(task_id)
    require_task_actor(user, task, instance.started_by_id)
    form = words.translated_form(forms.describe(task.form_key)) if task.state == OPEN else None
    due = task.sla_class(tasks.sla_window())
    context = {
        "id": str(task.id),
        "complete_url": url_for("tasks.complete", task_id=task.id),
        # After completing, back to the page the user came from (the counter, a dossier) if asked.
        "done_url": url_for("ui.task_done", task_id=task.id, next=_next_page()),
        # "Xong, mở việc tiếp theo" (Ctrl+Enter): the next task of the day (finding.next_task).
        "next_task_url": url_for("ui.task_done", task_id=task.id, then="next"),
        "schema": pickers.apply(
            formschema.editor_schema(form) if form else None, pickers.for_task(form, task=task, user=user)
        ),
        "labels": formschema.labels(form),
    }
    return render_template(
        "ui/task.html",
        task=task,
        instance=instance,
        attachments=attachment_panel.panel(
            instance, task=task if attachment_panel.asks_for_files(form) else None, user=user
        ),
        process_name=instance.definition.name,
        dossier=_dossier_summary(instance),
        decisions=history.decisions(instance.id, exclude_task=task.id),
        catalogue_change=catalogue.catalogue_change(task, instance),
        groups=identity.group_labels(task.candidate_groups or []),
        form=form,
        context=context,
        created=display.local_datetime(task.created_at),
        due_at=display.local_datetime(task.due_at),
        due=due,
        state_label=str(display.TASK_STATES.get(task.state, task.state)),
        due_label=display.due_label(due, task.state),
        may_claim=task.state == OPEN and task.assignee_id is None,
        may_unclaim=task.state == OPEN and task.assignee_id == user.id,
        assigned_elsewhere=task.state == OPEN and task.assignee_id not in (None, user.id),
    )


@bp.get("/tasks/<uuid:task_id>/done")
def task_done(task_id):
    """Where the task page goes after a successful completion: the worklist (or the page named by
    a safe ?next=), with a message."""
    back = safe_next(_next_page())
    try:
        task, _instance = tasks.get_with_instance(task_id)
    except NotFound:
        return redirect(back)
    user = current_user()
    if task.state == COMPLETED and task.completed_by_id == user.id:
        flash(_("Đã hoàn thành công việc «%(name)s».", name=words.word(task.name)), "success")
    if request.args.get("then") == "next":
        following = finding.next_task(user, after=task.id)
        if following is not None:
            flash(_("Việc tiếp theo: «%(name)s».", name=words.word(following.name)), "info")
            return redirect(url_for("ui.task_page", task_id=following.id))
        flash(_("Không còn công việc nào đang chờ bạn."), "info")
        return redirect(url_for("ui.worklist"))
    return redirect(back)


def _next_page() -> str | None:
    """A ?next= of this site's pages (anything else is dropped)."""
    target = request.args.get("next")
    return target if target and safe_next(target) == target else None
