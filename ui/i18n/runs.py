"""Strings of the Runs page."""

EN = {
    "runs.intro": (
        "A **run** is one trained model together with everything needed to look at it again: its **settings** "
        "(architecture, loss, optimizer, learning rate, ...), its **learning curve** (every evaluation while "
        "it trained) and its **weights**. Weights are stored as *safetensors*, plain numbers that cannot "
        "hide code; nothing is ever unpickled, so loading a run from someone else is safe."
    ),
    "runs.table": "This workspace's runs",
    "runs.table.caption": "Newest first. Every other page (Evaluate, Draw, Inside, Compare) picks from these runs.",
    "runs.empty": "No runs yet: train one on the Train page, upload one below, or reload the server's runs folder.",
    "runs.col.name": "Name",
    "runs.col.arch": "Architecture",
    "runs.col.loss": "Loss",
    "runs.col.optimizer": "Optimizer",
    "runs.col.lr": "Learning rate",
    "runs.col.batch": "Batch",
    "runs.col.epochs": "Epochs",
    "runs.col.status": "Status",
    "runs.col.origin": "From",
    "runs.status.finished": "finished",
    "runs.status.stopped": "stopped",
    "runs.status.diverged": "diverged",
    "runs.status.target": "reached target",
    "runs.status.unknown": "unknown",
    "runs.origin.trained": "trained here",
    "runs.origin.disk": "server folder",
    "runs.origin.upload": "uploaded",
    "runs.selected": "One run",
    "runs.settings": "All settings of this run",
    "runs.rename.label": "New name",
    "runs.rename.help": "Letters, digits, dot, dash and underscore; anything else becomes a dash. Names are unique.",
    "runs.rename.button": "Rename",
    "runs.rename.button.help": "Give the selected run the new name (every page shows it under that name).",
    "runs.rename.done": "Renamed **{old}** to **{new}**.",
    "runs.rename.empty": "Type a new name first.",
    "runs.rename.taken": "There is already a run called **{name}**: choose another name.",
    "runs.rename.gone": "The run **{name}** is no longer in this workspace.",
    "runs.download": "Download (.zip)",
    "runs.download.help": (
        "A zip with config.json (settings), metrics.jsonl (learning curve) and model.safetensors (weights). "
        "Upload it here later, or use it with `python -m core evaluate --run FOLDER`."
    ),
    "runs.save": "Save to the server's runs folder",
    "runs.save.help": "Writes the run into the folder below on the server, where every new session finds it.",
    "runs.save.done": "Saved **{name}** to `{folder}`.",
    "runs.save.exists": "The server already has a run folder `{folder}`. Replace it with this run?",
    "runs.save.overwrite": "Yes, replace it",
    "runs.save.failed": "Could not save to `{folder}`: {msg}",
    "runs.cancel": "Cancel",
    "runs.delete": "Delete",
    "runs.delete.help": "Remove the run from this workspace (a copy saved on the server stays there).",
    "runs.delete.confirm": "Delete **{name}** from this workspace? This cannot be undone.",
    "runs.delete.yes": "Yes, delete",
    "runs.delete.done": "Deleted **{name}**.",
    "runs.folder.title": "Runs on the server",
    "runs.folder.body": (
        "The server's runs folder is `{folder}`. Runs saved there appear in every new session. A teacher can "
        "train before class from a terminal, for example `python -m core train --preset mlp-adam --out {out}` "
        "(see `python -m core presets` for the recipes), then press **Reload runs from disk**."
    ),
    "runs.reload": "Reload runs from disk",
    "runs.reload.help": "List the runs in the server's shared runs folder again (new ones appear by themselves too).",
    "runs.reload.added": "The server's runs folder holds {n} run(s): {names}.",
    "runs.readonly": "**{name}** belongs to the server's shared runs folder: it can be used and downloaded, "
                     "not renamed or deleted here.",
    "runs.busy": "**{name}** is still training: stop it on the Train page first.",
    "runs.shared": "A shared run from the server's folder `{folder}`: every workspace sees it, read-only.",
    "runs.reload.none": "No new runs in `{folder}`.",
    "runs.upload.title": "Upload a run",
    "runs.upload.label": "A run zip downloaded from MNIST Lab",
    "runs.upload.help": (
        "A .zip made with the Download button (or a zipped run folder). It is checked completely before it "
        "is added: settings, learning curve, and weights that fit the architecture."
    ),
    "runs.upload.done": "Added the uploaded run **{name}**.",
    "runs.upload.bad": "**{file}** is not a run MNIST Lab can load, so nothing was added. Reason: {msg}",
    "runs.upload.limit": "**{file}** was not added: {msg}.",
}

ZH = {
    "runs.intro": (
        "一条**训练记录**就是一个训练好的模型，加上再次查看它所需的一切：它的**设置**（网络结构、损失函数、优化器、"
        "学习率……）、它的**学习曲线**（训练过程中的每次评估）以及它的**权重**。权重以 *safetensors* 格式保存，"
        "只是纯粹的数字，无法藏匿代码；本应用从不使用 pickle 反序列化，所以加载别人给的记录是安全的。"
    ),
    "runs.table": "本工作区的训练记录",
    "runs.table.caption": "最新的在最上面。其他页面（评估、手写、网络内部、对比）都从这些记录中选择。",
    "runs.empty": "还没有训练记录：请在“训练”页训练一个，在下方上传一个，或从服务器的记录文件夹重新加载。",
    "runs.col.name": "名称",
    "runs.col.arch": "网络结构",
    "runs.col.loss": "损失函数",
    "runs.col.optimizer": "优化器",
    "runs.col.lr": "学习率",
    "runs.col.batch": "批大小",
    "runs.col.epochs": "轮数",
    "runs.col.status": "状态",
    "runs.col.origin": "来源",
    "runs.status.finished": "已完成",
    "runs.status.stopped": "已停止",
    "runs.status.diverged": "已发散",
    "runs.status.target": "达到目标",
    "runs.status.unknown": "未知",
    "runs.origin.trained": "在此训练",
    "runs.origin.disk": "服务器文件夹",
    "runs.origin.upload": "上传",
    "runs.selected": "单条记录",
    "runs.settings": "这条记录的全部设置",
    "runs.rename.label": "新名称",
    "runs.rename.help": "可用字母、数字、点、短横线和下划线，其他字符会变成短横线。名称不能重复。",
    "runs.rename.button": "重命名",
    "runs.rename.button.help": "把所选记录改成新名称（所有页面都会用新名称显示它）。",
    "runs.rename.done": "已将 **{old}** 重命名为 **{new}**。",
    "runs.rename.empty": "请先输入新名称。",
    "runs.rename.taken": "已经有一条名为 **{name}** 的记录，请换一个名称。",
    "runs.rename.gone": "记录 **{name}** 已不在本工作区中。",
    "runs.download": "下载（.zip）",
    "runs.download.help": (
        "一个 zip 压缩包，包含 config.json（设置）、metrics.jsonl（学习曲线）和 model.safetensors（权重）。"
        "之后可以在这里上传，或用 `python -m core evaluate --run 文件夹` 使用它。"
    ),
    "runs.save": "保存到服务器的记录文件夹",
    "runs.save.help": "把这条记录写入服务器上下方所示的文件夹，之后每个新会话都能看到它。",
    "runs.save.done": "已将 **{name}** 保存到 `{folder}`。",
    "runs.save.exists": "服务器上已经有记录文件夹 `{folder}`。要用这条记录替换它吗？",
    "runs.save.overwrite": "是的，替换",
    "runs.save.failed": "无法保存到 `{folder}`：{msg}",
    "runs.cancel": "取消",
    "runs.delete": "删除",
    "runs.delete.help": "从本工作区中移除这条记录（服务器上保存的副本不受影响）。",
    "runs.delete.confirm": "要从本工作区中删除 **{name}** 吗？此操作无法撤销。",
    "runs.delete.yes": "是的，删除",
    "runs.delete.done": "已删除 **{name}**。",
    "runs.folder.title": "服务器上的训练记录",
    "runs.folder.body": (
        "服务器的记录文件夹是 `{folder}`。保存在那里的记录会出现在每个新会话中。老师可以在上课前用终端训练，"
        "例如 `python -m core train --preset mlp-adam --out {out}`（用 `python -m core presets` 查看所有配方），"
        "然后点击**从磁盘重新加载**。"
    ),
    "runs.reload": "从磁盘重新加载",
    "runs.reload.help": "重新列出服务器共享记录文件夹中的记录（新记录也会自动出现）。",
    "runs.reload.added": "服务器的记录文件夹中有 {n} 条记录：{names}。",
    "runs.readonly": "**{name}** 属于服务器的共享记录文件夹：可以使用和下载，但不能在这里重命名或删除。",
    "runs.busy": "**{name}** 还在训练中：请先在“训练”页停止它。",
    "runs.shared": "来自服务器文件夹 `{folder}` 的共享记录：每个工作区都能看到，只读。",
    "runs.reload.none": "`{folder}` 中没有新的记录。",
    "runs.upload.title": "上传训练记录",
    "runs.upload.label": "从 MNIST 实验室下载的记录 zip 文件",
    "runs.upload.help": (
        "用“下载”按钮得到的 .zip 文件（或压缩后的记录文件夹）。添加之前会完整检查：设置、学习曲线，"
        "以及权重是否与网络结构相符。"
    ),
    "runs.upload.done": "已添加上传的记录 **{name}**。",
    "runs.upload.bad": "**{file}** 不是 MNIST 实验室能加载的训练记录，因此没有添加任何内容。原因：{msg}",
    "runs.upload.limit": "**{file}** 没有添加：{msg}。",
}
