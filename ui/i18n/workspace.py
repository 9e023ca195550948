"""Strings of the workspace box in the sidebar, the refused-link page and the job states every page shows."""

EN = {
    "ws.title": "Your workspace",
    "ws.body": "Everything you train is kept here, on the server. Bookmark this link, or write down the code "
               "to open the same workspace on another computer.",
    "ws.link": "Workspace link",
    "ws.code": "Code: **{code}**",
    "ws.open": "Open a workspace by its code",
    "ws.open.placeholder": "e.g. k7mp-3xqa",
    "ws.open.help": "The 8-letter code shown in the sidebar of the workspace you want to open.",
    "ws.open.button": "Open",
    "ws.open.failed": "This code opens nothing: {reason}. Check it in the sidebar of the workspace you want.",
    "ws.new": "New workspace",
    "ws.new.help": "Start an empty workspace with a new link and code. This one stays as it is: its link and "
                   "code still open it.",
    "ws.refused.title": "Workspace not found",
    "ws.refused.body": "This link does not open a workspace: {reason}. Check the link, type the code you wrote "
                       "down, or start a new workspace.",
    "ws.opened": "Opened workspace {code}.",
    "ws.busy.title": "The server is busy",
    "ws.busy.body": "No new workspace could be opened just now: {reason}. If you already have a workspace, "
                    "type its code below.",
    "ws.new.refused": "No new workspace: {reason}.",
    "sidebar.job.paused": "Paused: {name}",
    "sidebar.job.interrupted": "Interrupted: {name} (resume it on the Train page)",
    "jobs.no_workers": "No training worker is running on this server, so jobs would only wait in the queue. "
                       "Start the app with `make run` (it starts the workers too), or start a worker pool with "
                       "`python -m core worker`.",
    "jobs.no_workers.device": "No worker for {device} jobs is running. Start one on a machine that has it: "
                              "`python -m core worker --device {device}`, or choose another device.",
}

ZH = {
    "ws.title": "你的工作区",
    "ws.body": "你训练的一切都保存在服务器上的这个工作区里。"
               "收藏这个链接，或者记下代码，就能在另一台电脑上打开同一个工作区。",
    "ws.link": "工作区链接",
    "ws.code": "代码：**{code}**",
    "ws.open": "用代码打开工作区",
    "ws.open.placeholder": "例如 k7mp-3xqa",
    "ws.open.help": "要打开的工作区侧边栏里显示的 8 位代码。",
    "ws.open.button": "打开",
    "ws.open.failed": "这个代码打不开任何工作区：{reason}。请在你要打开的工作区的侧边栏里核对代码。",
    "ws.new": "新建工作区",
    "ws.new.help": "新建一个空的工作区，有新的链接和代码。当前工作区保持不变：用它的链接和代码仍能打开。",
    "ws.refused.title": "找不到工作区",
    "ws.refused.body": "这个链接打不开工作区：{reason}。请检查链接，输入你记下的代码，或者新建一个工作区。",
    "ws.opened": "已打开工作区 {code}。",
    "ws.busy.title": "服务器正忙",
    "ws.busy.body": "现在无法新建工作区：{reason}。如果你已经有工作区，请在下面输入它的代码。",
    "ws.new.refused": "没有新建工作区：{reason}。",
    "sidebar.job.paused": "已暂停：{name}",
    "sidebar.job.interrupted": "已中断：{name}（可在“训练”页继续）",
    "jobs.no_workers": "这台服务器上没有正在运行的训练进程，任务只会在队列里等待。"
                       "请用 `make run` 启动应用（它会同时启动训练进程），"
                       "或用 `python -m core worker` 启动一组训练进程。",
    "jobs.no_workers.device": "没有处理 {device} 任务的训练进程。"
                              "请在有该设备的机器上启动：`python -m core worker --device {device}`，"
                              "或者换一个设备。",
}
