build/native/obj/vmm/qmp_builtin.o: vmm/qmp_builtin.c vmm/json_util.h \
 vmm/compiler.h vmm/qmp_internal.h vmm/json_stream.h vmm/qmp.h \
 vmm/qmp_args.h vmm/qmp_error.h vmm/qmp_socket.h
vmm/json_util.h:
vmm/compiler.h:
vmm/qmp_internal.h:
vmm/json_stream.h:
vmm/qmp.h:
vmm/qmp_args.h:
vmm/qmp_error.h:
vmm/qmp_socket.h:
